package io.fedpipe.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Quantity-skewed partition (NIID-Bench, Li et al., ICDE 2022): node sizes vary, label mixes do
 * not. Every node first gets {@code minPerNode} examples; the remaining
 * {@code n − nodes·minPerNode} are shared out in proportions q ~ Dirichlet(α, …, α), rounded at the
 * cumulative shares (node k gets ⌊m·Q_k⌋ − ⌊m·Q_{k−1}⌋ of the m remaining) so the sizes add up
 * to n exactly. Examples are
 * then dealt from one seeded shuffle, so each node's labels are an IID sample.
 */
public final class QuantitySkewPartitioner implements Partitioner {

    private final double alpha;
    private final int minPerNode;

    public QuantitySkewPartitioner(double alpha, int minPerNode) {
        Partitioner.validateDirichlet(alpha, minPerNode);
        this.alpha = alpha;
        this.minPerNode = minPerNode;
    }

    @Override
    public List<int[]> partition(int[] labels, int numLabels, int nodes, long seed) {
        Partitioner.validate(labels, numLabels, nodes, minPerNode);
        SeededRandom random = SeededRandom.forPurpose(seed, "quantity-skew");
        int[] sizes = sizes(labels.length, nodes, Dirichlet.symmetric(alpha, nodes, random));
        int[] order = random.permutation(labels.length);
        List<int[]> parts = new ArrayList<>(nodes);
        int start = 0;
        for (int size : sizes) {
            int[] part = Arrays.copyOfRange(order, start, start + size);
            Arrays.sort(part);
            parts.add(part);
            start += size;
        }
        return parts;
    }

    private int[] sizes(int n, int nodes, double[] shares) {
        int[] cuts = DirichletLabelPartitioner.cutPoints(n - nodes * minPerNode, shares);
        int[] sizes = new int[nodes];
        for (int node = 0; node < nodes; node++) {
            sizes[node] = minPerNode + cuts[node + 1] - cuts[node];
        }
        return sizes;
    }

    @Override
    public String toString() {
        return "quantity-skew(alpha=" + alpha + ", minPerNode=" + minPerNode + ")";
    }
}
