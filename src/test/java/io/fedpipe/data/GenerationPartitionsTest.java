package io.fedpipe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Splitting a generation pool over nodes by what its examples are about (an MR attribute). */
class GenerationPartitionsTest {

    private static GenerationExample mr(String food, String area) {
        String prompt = "name[The Eagle], eatType[pub]" + (food == null ? "" : ", food[" + food + "]")
                + ", area[" + area + "]\n";
        return new GenerationExample(prompt, "The Eagle is a pub.");
    }

    private static List<GenerationExample> pool() {
        List<GenerationExample> out = new ArrayList<>();
        String[] foods = {"Italian", "French", "Chinese", "Japanese", null};
        for (int i = 0; i < 100; i++) {
            out.add(mr(foods[i % 5 == 4 ? 4 : i % 4], i % 2 == 0 ? "riverside" : "city centre"));
        }
        return out;
    }

    @Test
    void attributeValuesAreReadFromTheMrAndMissingOnesAreTheirOwnValue() {
        MrAttributes.Labels l = MrAttributes.of(pool(), "food");
        assertEquals(List.of("italian", "french", "chinese", "japanese", MrAttributes.ABSENT), l.values());
        assertEquals(0, l.indices()[0]);
        assertEquals(4, l.indices()[4]);
        assertEquals(List.of("riverside", "city centre"), MrAttributes.of(pool(), "area").values());
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class,
                () -> MrAttributes.of(pool(), "cuisine"));
        assertTrue(typo.getMessage().startsWith("no example's prompt has the attribute 'cuisine'"), typo.getMessage());
    }

    @Test
    void anAttributePartitionPutsEveryValueOnExactlyOneNodeAndBalancesTheSizes() {
        List<GenerationExample> pool = pool();
        List<int[]> parts = GenerationPartitions.partition(pool, "attribute", Partitioner.byLabel(), "food", 3, 1);
        MrAttributes.Labels l = MrAttributes.of(pool, "food");
        Set<Integer> seen = new HashSet<>();
        int total = 0;
        for (int[] part : parts) {
            Set<Integer> values = new HashSet<>();
            for (int i : part) {
                values.add(l.indices()[i]);
            }
            for (int v : values) {
                assertTrue(seen.add(v), "value " + l.values().get(v) + " is on two nodes");
            }
            total += part.length;
        }
        assertEquals(100, total);
        // 5 values of 20 examples each over 3 nodes, dealt largest first to the smallest node: 40/40/20.
        assertEquals(List.of(40, 40, 20), parts.stream().map(p -> p.length).toList());
        IllegalArgumentException tooFew = assertThrows(IllegalArgumentException.class,
                () -> GenerationPartitions.partition(pool, "attribute", Partitioner.byLabel(), "area", 3, 1));
        assertEquals("a partition by value needs at least as many values as nodes: 2 values for 3 nodes",
                tooFew.getMessage());
    }

    @Test
    void aDirichletPartitionSkewsTheAttributeAndIidNeedsNoAttribute() {
        List<GenerationExample> pool = pool();
        List<int[]> skewed = GenerationPartitions.partition(pool, "dirichlet", Partitioner.dirichletLabelSkew(0.1),
                "food", 4, 7);
        MrAttributes.Labels l = MrAttributes.of(pool, "food");
        // With α = 0.1 some node holds at least 60% of its examples from one cuisine (iid: 20-25%).
        double top = 0;
        for (int[] part : skewed) {
            int[] counts = new int[l.values().size()];
            for (int i : part) {
                counts[l.indices()[i]]++;
            }
            int max = java.util.Arrays.stream(counts).max().orElse(0);
            top = Math.max(top, part.length == 0 ? 0 : max / (double) part.length);
        }
        assertTrue(top >= 0.6, "largest single-cuisine share " + top);
        List<int[]> iid = GenerationPartitions.partition(pool, "iid", Partitioner.iid(), "", 4, 7);
        assertEquals(List.of(25, 25, 25, 25), iid.stream().map(p -> p.length).toList());
        assertArrayEquals(iid.get(0), GenerationPartitions.partition(pool, "iid", Partitioner.iid(), "", 4, 7).get(0));
        IllegalArgumentException noBy = assertThrows(IllegalArgumentException.class,
                () -> GenerationPartitions.partition(pool, "dirichlet", Partitioner.dirichletLabelSkew(0.5), "", 4, 7));
        assertTrue(noBy.getMessage().contains("needs 'by'"), noBy.getMessage());
    }
}
