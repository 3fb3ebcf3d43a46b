package io.fedpipe.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Label-skewed (non-IID) partition after Hsu, Qi and Brown, "Measuring the effects of
 * non-identical data distribution for federated visual classification" (2019), as used by
 * NIID-Bench (Li et al., ICDE 2022): for each label, draw the nodes' shares
 * p ~ Dirichlet(α, …, α) and cut that label's shuffled examples at the cumulative shares
 * (node k gets ⌊n·P_k⌋ − ⌊n·P_{k−1}⌋, the last node the remainder). Small α (0.1) gives most of
 * a class to a few nodes; large α (100) approaches IID.
 *
 * <p>A skewed draw can leave a node nearly empty. The whole draw is repeated (continuing the
 * same random stream, so still deterministic) until every node holds at least
 * {@code minPerNode} examples, at most {@value #MAX_ATTEMPTS} times; then it fails with a message
 * saying what to change.
 */
public final class DirichletLabelPartitioner implements Partitioner {

    static final int MAX_ATTEMPTS = 1000;

    private final double alpha;
    private final int minPerNode;

    public DirichletLabelPartitioner(double alpha, int minPerNode) {
        Partitioner.validateDirichlet(alpha, minPerNode);
        this.alpha = alpha;
        this.minPerNode = minPerNode;
    }

    @Override
    public List<int[]> partition(int[] labels, int numLabels, int nodes, long seed) {
        Partitioner.validate(labels, numLabels, nodes, minPerNode);
        int[][] byLabel = indicesByLabel(labels, numLabels);
        SeededRandom random = SeededRandom.forPurpose(seed, "dirichlet-label-skew");
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            List<int[]> parts = draw(byLabel, nodes, random);
            if (parts.stream().allMatch(part -> part.length >= minPerNode)) {
                return parts;
            }
        }
        throw new IllegalStateException("Dirichlet(alpha=" + alpha + ") left some of " + nodes
                + " nodes with fewer than " + minPerNode + " examples in " + MAX_ATTEMPTS
                + " draws; raise alpha, lower minPerNode or use fewer nodes");
    }

    private List<int[]> draw(int[][] byLabel, int nodes, SeededRandom random) {
        int[][] parts = new int[nodes][];
        int[] sizes = new int[nodes];
        int[][] cuts = new int[byLabel.length][];
        for (int label = 0; label < byLabel.length; label++) {
            cuts[label] = cutPoints(byLabel[label].length, Dirichlet.symmetric(alpha, nodes, random));
            for (int node = 0; node < nodes; node++) {
                sizes[node] += cuts[label][node + 1] - cuts[label][node];
            }
        }
        for (int node = 0; node < nodes; node++) {
            parts[node] = new int[sizes[node]];
            sizes[node] = 0;
        }
        for (int label = 0; label < byLabel.length; label++) {
            int[] members = byLabel[label].clone();
            random.shuffle(members);
            for (int node = 0; node < nodes; node++) {
                for (int k = cuts[label][node]; k < cuts[label][node + 1]; k++) {
                    parts[node][sizes[node]++] = members[k];
                }
            }
        }
        List<int[]> result = new ArrayList<>(nodes);
        for (int[] part : parts) {
            Arrays.sort(part);
            result.add(part);
        }
        return result;
    }

    /** Boundaries 0 = c_0 ≤ … ≤ c_nodes = n with c_k = ⌊n · (p_1 + … + p_k)⌋. */
    static int[] cutPoints(int n, double[] shares) {
        int[] cuts = new int[shares.length + 1];
        double cumulative = 0;
        for (int k = 1; k < shares.length; k++) {
            cumulative += shares[k - 1];
            cuts[k] = Math.max(cuts[k - 1], Math.min(n, (int) Math.floor(n * cumulative)));
        }
        cuts[shares.length] = n;
        return cuts;
    }

    static int[][] indicesByLabel(int[] labels, int numLabels) {
        int[] counts = new int[numLabels];
        for (int label : labels) {
            counts[label]++;
        }
        int[][] byLabel = new int[numLabels][];
        for (int label = 0; label < numLabels; label++) {
            byLabel[label] = new int[counts[label]];
            counts[label] = 0;
        }
        for (int i = 0; i < labels.length; i++) {
            byLabel[labels[i]][counts[labels[i]]++] = i;
        }
        return byLabel;
    }

    @Override
    public String toString() {
        return "dirichlet-label-skew(alpha=" + alpha + ", minPerNode=" + minPerNode + ")";
    }
}
