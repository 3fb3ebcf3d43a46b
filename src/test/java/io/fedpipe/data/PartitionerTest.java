package io.fedpipe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PartitionerTest {

    private static final int NUM_LABELS = 10;

    /** 5,003 examples with unequal classes: label c has weight c + 1. */
    private static int[] labels() {
        SeededRandom random = new SeededRandom(99);
        int[] labels = new int[5_003];
        for (int i = 0; i < labels.length; i++) {
            int draw = random.nextInt(55);
            int label = 0;
            while (draw >= label + 1) {
                draw -= label + 1;
                label++;
            }
            labels[i] = label;
        }
        return labels;
    }

    private static void assertExactCover(List<int[]> parts, int n, int nodes) {
        assertEquals(nodes, parts.size());
        int[] seen = new int[n];
        for (int[] part : parts) {
            for (int k = 0; k < part.length; k++) {
                seen[part[k]]++;
                if (k > 0) {
                    assertTrue(part[k - 1] < part[k], "indices ascending within a node");
                }
            }
        }
        for (int i = 0; i < n; i++) {
            assertEquals(1, seen[i], "example " + i + " assigned " + seen[i] + " times");
        }
    }

    @Test
    void everyPartitionerAssignsEachExampleExactlyOnce() {
        int[] labels = labels();
        for (Partitioner partitioner : List.of(Partitioner.iid(), Partitioner.dirichletLabelSkew(0.1),
                Partitioner.dirichletLabelSkew(100), Partitioner.quantitySkew(0.5, 20))) {
            for (int nodes : new int[] {1, 7, 32}) {
                List<int[]> parts = partitioner.partition(labels, NUM_LABELS, nodes, 2024);
                assertExactCover(parts, labels.length, nodes);
                assertEquals(labels.length, Arrays.stream(PartitionSummary.of(parts, labels, NUM_LABELS).nodeTotals()).sum());
            }
        }
    }

    @Test
    void iidSizesDifferByAtMostOneAndLabelMixIsNearGlobal() {
        int[] labels = labels();
        List<int[]> parts = Partitioner.iid().partition(labels, NUM_LABELS, 10, 1);
        PartitionSummary summary = PartitionSummary.of(parts, labels, NUM_LABELS);

        // 5,003 = 10·500 + 3: three nodes of 501, seven of 500.
        int[] expected = {501, 501, 501, 500, 500, 500, 500, 500, 500, 500};
        assertArrayEquals(expected, summary.nodeTotals());
        assertTrue(summary.labelSkew() < 0.06, "IID label skew " + summary.labelSkew());
    }

    @Test
    void smallAlphaIsFarMoreSkewedThanLargeAlpha() {
        int[] labels = labels();
        PartitionSummary skewed = PartitionSummary.of(
                Partitioner.dirichletLabelSkew(0.1).partition(labels, NUM_LABELS, 10, 7), labels, NUM_LABELS);
        PartitionSummary nearIid = PartitionSummary.of(
                Partitioner.dirichletLabelSkew(100).partition(labels, NUM_LABELS, 10, 7), labels, NUM_LABELS);

        System.out.println("Dirichlet alpha=0.1, 10 nodes:" + System.lineSeparator() + skewed);
        assertTrue(skewed.labelSkew() > 0.5, "alpha=0.1 skew " + skewed.labelSkew());
        assertTrue(nearIid.labelSkew() < 0.08, "alpha=100 skew " + nearIid.labelSkew());
        assertTrue(skewed.labelSkew() > 8 * nearIid.labelSkew());
        assertEquals(0, skewed.emptyNodes());
    }

    @Test
    void sameSeedSamePartitionOtherSeedDifferent() {
        int[] labels = labels();
        for (Partitioner partitioner : List.of(Partitioner.iid(), Partitioner.dirichletLabelSkew(0.5),
                Partitioner.quantitySkew(1.0, 5))) {
            List<int[]> first = partitioner.partition(labels, NUM_LABELS, 8, 31);
            List<int[]> again = partitioner.partition(labels, NUM_LABELS, 8, 31);
            List<int[]> other = partitioner.partition(labels, NUM_LABELS, 8, 32);
            for (int node = 0; node < 8; node++) {
                assertArrayEquals(first.get(node), again.get(node), partitioner + " node " + node);
            }
            assertFalse(Arrays.equals(first.get(0), other.get(0)), partitioner + " ignores its seed");
        }
    }

    @Test
    void dirichletRespectsMinimumPerNode() {
        int[] labels = labels();
        List<int[]> parts = Partitioner.dirichletLabelSkew(0.1, 100).partition(labels, NUM_LABELS, 10, 3);

        assertTrue(parts.stream().allMatch(part -> part.length >= 100));
        assertThrows(IllegalArgumentException.class,
                () -> Partitioner.dirichletLabelSkew(0.1, 600).partition(labels, NUM_LABELS, 10, 3));
    }

    @Test
    void quantitySkewVariesSizesButNotLabelMix() {
        int[] labels = labels();
        PartitionSummary skewed = PartitionSummary.of(
                Partitioner.quantitySkew(0.5, 50).partition(labels, NUM_LABELS, 10, 5), labels, NUM_LABELS);
        PartitionSummary even = PartitionSummary.of(
                Partitioner.quantitySkew(1000, 50).partition(labels, NUM_LABELS, 10, 5), labels, NUM_LABELS);

        assertTrue(Arrays.stream(skewed.nodeTotals()).allMatch(size -> size >= 50));
        assertTrue(skewed.sizeCoefficientOfVariation() > 0.4, "CV " + skewed.sizeCoefficientOfVariation());
        assertTrue(even.sizeCoefficientOfVariation() < 0.1, "CV " + even.sizeCoefficientOfVariation());
        // Labels stay IID: each node's mix is near global, up to sampling noise on small nodes.
        assertTrue(skewed.labelSkew() < 0.2, "quantity-skew label skew " + skewed.labelSkew());
    }

    @Test
    void rejectsLabelsOutsideTheVocabulary() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Partitioner.iid().partition(new int[] {0, 3, 1}, 3, 2, 0));
        assertEquals("example 1 has label index 3, outside [0, 3)", e.getMessage());
    }
}
