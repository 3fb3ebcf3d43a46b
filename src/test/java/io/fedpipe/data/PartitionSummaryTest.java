package io.fedpipe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PartitionSummaryTest {

    private static final int[] LABELS = {0, 0, 1, 1, 1, 2};

    @Test
    void handComputedCountsAndSkew() {
        PartitionSummary summary = PartitionSummary.of(List.of(new int[] {0, 2}, new int[] {1, 3, 4, 5}), LABELS, 3);

        assertEquals(1, summary.count(0, 0));
        assertEquals(2, summary.count(1, 1));
        assertArrayEquals(new int[] {2, 4}, summary.nodeTotals());
        assertArrayEquals(new int[] {2, 3, 1}, summary.labelTotals());
        // Global (1/3, 1/2, 1/6). Node 0 (1/2, 1/2, 0): TV = (1/6 + 0 + 1/6)/2 = 1/6.
        assertEquals(1.0 / 6, summary.totalVariation(0), 1e-12);
        // Node 1 (1/4, 1/2, 1/4): TV = (1/12 + 0 + 1/12)/2 = 1/12.
        assertEquals(1.0 / 12, summary.totalVariation(1), 1e-12);
        assertEquals(0.125, summary.labelSkew(), 1e-12);
        // Sizes 2 and 4: mean 3, population sd 1.
        assertEquals(1.0 / 3, summary.sizeCoefficientOfVariation(), 1e-12);
    }

    @Test
    void tableShowsCountsTotalsAndSkew() {
        PartitionSummary summary = PartitionSummary.of(List.of(new int[] {0, 2}, new int[] {1, 3, 4, 5}), LABELS, 3);
        String nl = System.lineSeparator();

        assertEquals(
                "node  a  b  c  total     TV" + nl
                + "   0  1  1  0      2  0.167" + nl
                + "   1  1  2  1      4  0.083" + nl
                + " all  2  3  1      6       " + nl
                + "label skew (mean TV from global) 0.125; node size CV 0.333; empty nodes 0" + nl,
                summary.toTable(List.of("a", "b", "c")));
    }

    @Test
    void emptyNodeIsCountedAndLeftOutOfSkew() {
        PartitionSummary summary = PartitionSummary.of(
                List.of(new int[] {0, 1, 2, 3, 4, 5}, new int[0]), LABELS, 3);

        assertEquals(1, summary.emptyNodes());
        assertEquals(0.0, summary.labelSkew(), 1e-12);
        assertTrue(Double.isNaN(summary.totalVariation(1)));
    }

    @Test
    void rejectsDuplicatedMissingAndOutOfRangeIndices() {
        assertEquals("example 2 is on node 0 and on node 1", assertThrows(IllegalArgumentException.class,
                () -> PartitionSummary.of(List.of(new int[] {0, 1, 2}, new int[] {2, 3, 4, 5}), LABELS, 3)).getMessage());
        assertEquals("example 5 is on no node", assertThrows(IllegalArgumentException.class,
                () -> PartitionSummary.of(List.of(new int[] {0, 1, 2}, new int[] {3, 4}), LABELS, 3)).getMessage());
        assertEquals("node 1 holds index 6, outside [0, 6)", assertThrows(IllegalArgumentException.class,
                () -> PartitionSummary.of(List.of(new int[] {0, 1, 2}, new int[] {3, 4, 5, 6}), LABELS, 3)).getMessage());
    }
}
