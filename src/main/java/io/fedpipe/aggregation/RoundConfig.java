package io.fedpipe.aggregation;

import io.fedpipe.core.MatrixId;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What each node should train in a round: the LoRA rank per matrix, by node id. A matrix a node
 * does not list is not trained there, and that node is left out of the matrix's average.
 * {@code round} is the job's round, from 1.
 */
public record RoundConfig(int round, Map<String, Map<MatrixId, Integer>> ranksPerNode) {

    public RoundConfig {
        if (round < 1) {
            throw new IllegalArgumentException("rounds are numbered from 1, got round " + round);
        }
        if (ranksPerNode == null) {
            throw new IllegalArgumentException("round " + round + " has no ranks per node");
        }
        Map<String, Map<MatrixId, Integer>> copy = new TreeMap<>();
        ranksPerNode.forEach((node, ranks) -> copy.put(node, Collections.unmodifiableMap(new TreeMap<>(ranks))));
        ranksPerNode = Collections.unmodifiableMap(copy);
    }
}
