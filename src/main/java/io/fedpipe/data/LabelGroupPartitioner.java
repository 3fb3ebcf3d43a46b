package io.fedpipe.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The strongest feature skew: every value of the label goes to exactly one node, so nodes see
 * disjoint kinds of examples (E2E: one node holds every Italian restaurant, another every pub).
 * Values are dealt largest first, each to the node holding the fewest examples so far (ties: the
 * lowest node), which keeps node sizes as even as whole groups allow. The seed is not needed: the
 * deal depends only on the labels.
 */
final class LabelGroupPartitioner implements Partitioner {

    @Override
    public List<int[]> partition(int[] labels, int numLabels, int nodes, long seed) {
        Partitioner.validate(labels, numLabels, nodes);
        int[] counts = new int[numLabels];
        for (int l : labels) {
            counts[l]++;
        }
        Integer[] byCount = new Integer[numLabels];
        for (int i = 0; i < numLabels; i++) {
            byCount[i] = i;
        }
        Arrays.sort(byCount, (a, b) -> counts[b] != counts[a] ? Integer.compare(counts[b], counts[a])
                : Integer.compare(a, b));
        long present = Arrays.stream(counts).filter(c -> c > 0).count();
        if (present < nodes) {
            throw new IllegalArgumentException("a partition by value needs at least as many values as nodes: "
                    + present + " values for " + nodes + " nodes");
        }
        int[] owner = new int[numLabels];
        long[] sizes = new long[nodes];
        for (int label : byCount) {
            if (counts[label] == 0) {
                continue;
            }
            int smallest = 0;
            for (int n = 1; n < nodes; n++) {
                if (sizes[n] < sizes[smallest]) {
                    smallest = n;
                }
            }
            owner[label] = smallest;
            sizes[smallest] += counts[label];
        }
        List<List<Integer>> parts = new ArrayList<>();
        for (int n = 0; n < nodes; n++) {
            parts.add(new ArrayList<>());
        }
        for (int i = 0; i < labels.length; i++) {
            parts.get(owner[labels[i]]).add(i);
        }
        return parts.stream().map(p -> p.stream().mapToInt(Integer::intValue).toArray()).toList();
    }
}
