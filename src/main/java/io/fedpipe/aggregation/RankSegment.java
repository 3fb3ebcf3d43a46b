package io.fedpipe.aggregation;

import java.util.stream.IntStream;

/**
 * The directions {@code [from, to)} of an adapter (columns of B, rows of A). A matrix's segments
 * are cut at the distinct ranks of the nodes that trained it, e.g. ranks 4, 8, 8, 16 give
 * {@code [0,4) [4,8) [8,16)}: segment k is what only the nodes of rank ≥ {@code to} can hold.
 */
public record RankSegment(int from, int to) implements Comparable<RankSegment> {

    public RankSegment {
        if (from < 0 || to <= from) {
            throw new IllegalArgumentException("a rank segment needs 0 <= from < to: [" + from + ", " + to + ")");
        }
    }

    /** The distinct ranks, ascending: the segments' upper ends. */
    static int[] boundsOf(IntStream ranks) {
        return ranks.distinct().sorted().toArray();
    }

    @Override
    public int compareTo(RankSegment o) {
        return from != o.from ? Integer.compare(from, o.from) : Integer.compare(to, o.to);
    }

    @Override
    public String toString() {
        return "[" + from + "," + to + ")";
    }
}
