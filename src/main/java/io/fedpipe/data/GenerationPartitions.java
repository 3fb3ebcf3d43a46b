package io.fedpipe.data;

import java.util.List;

/**
 * Splits a generation task's training pool over nodes. IID needs no labels; a Dirichlet or
 * by-value partition needs something to skew on, and for generation that is what the examples are
 * about: the value of one attribute of their meaning representation ({@link MrAttributes}), e.g.
 * E2E's {@code food} or {@code area}.
 */
public final class GenerationPartitions {

    private GenerationPartitions() {}

    /**
     * @param kind  {@code iid}, {@code dirichlet} or {@code attribute}
     * @param by    the attribute for {@code dirichlet} and {@code attribute}; ignored for iid
     * @return one ascending index array per node
     */
    public static List<int[]> partition(List<GenerationExample> pool, String kind, Partitioner partitioner, String by,
            int nodes, long seed) {
        if (kind.equals("iid")) {
            return partitioner.partition(new int[pool.size()], 1, nodes, seed);
        }
        if (by == null || by.isBlank()) {
            throw new IllegalArgumentException("a " + kind + " partition of a generation task needs 'by', the MR"
                    + " attribute to skew on (E2E: eatType, food, area, priceRange, customer rating, familyFriendly)");
        }
        MrAttributes.Labels labels = MrAttributes.of(pool, by);
        return partitioner.partition(labels.indices(), labels.values().size(), nodes, seed);
    }
}
