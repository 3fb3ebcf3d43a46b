package io.fedpipe.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * IID partition: a seeded shuffle dealt round-robin, so node sizes differ by at most one and each
 * node's label mix matches the global one up to sampling noise. The federated-learning baseline.
 */
public final class IidPartitioner implements Partitioner {

    @Override
    public List<int[]> partition(int[] labels, int numLabels, int nodes, long seed) {
        Partitioner.validate(labels, numLabels, nodes);
        int[] order = SeededRandom.forPurpose(seed, "iid").permutation(labels.length);
        List<int[]> parts = new ArrayList<>(nodes);
        for (int node = 0; node < nodes; node++) {
            int size = labels.length / nodes + (node < labels.length % nodes ? 1 : 0);
            int[] part = new int[size];
            for (int k = 0; k < size; k++) {
                part[k] = order[node + k * nodes];
            }
            Arrays.sort(part);
            parts.add(part);
        }
        return parts;
    }

    @Override
    public String toString() {
        return "iid";
    }
}
