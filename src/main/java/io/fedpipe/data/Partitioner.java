package io.fedpipe.data;

import java.util.List;

/**
 * Splits one dataset across federated nodes to emulate how private data is spread in practice.
 *
 * <p>Contract: given the label index of every example, return for each of {@code nodes} nodes
 * the indices of its examples, ascending. Every example is assigned to exactly one node. The
 * result depends only on the arguments: the same seed gives the same partition on any JVM
 * (randomness comes from {@link SeededRandom}).
 */
public interface Partitioner {

    /**
     * @param labels label index of each example, in [0, numLabels)
     * @param numLabels size of the label vocabulary
     * @param nodes number of nodes, at least 1
     * @param seed fixes the partition
     * @return one ascending index array per node; together a partition of 0..labels.length-1
     */
    List<int[]> partition(int[] labels, int numLabels, int nodes, long seed);

    /** Independent and identically distributed: shuffle, then deal; node sizes differ by at most one. */
    static Partitioner iid() {
        return new IidPartitioner();
    }

    /** Label skew with Dirichlet(α) class proportions; every node gets at least one example. */
    static Partitioner dirichletLabelSkew(double alpha) {
        return new DirichletLabelPartitioner(alpha, 1);
    }

    static Partitioner dirichletLabelSkew(double alpha, int minPerNode) {
        return new DirichletLabelPartitioner(alpha, minPerNode);
    }

    /** Feature skew: each label value wholly on one node, values dealt to keep node sizes even. */
    static Partitioner byLabel() {
        return new LabelGroupPartitioner();
    }

    /** Quantity skew: node sizes from Dirichlet(α) on top of a floor of {@code minPerNode}; labels IID. */
    static Partitioner quantitySkew(double alpha, int minPerNode) {
        return new QuantitySkewPartitioner(alpha, minPerNode);
    }

    /** Checks the arguments every partitioner shares; messages name the offending value. */
    static void validate(int[] labels, int numLabels, int nodes) {
        if (nodes < 1) {
            throw new IllegalArgumentException("need at least one node, got " + nodes);
        }
        if (numLabels < 1) {
            throw new IllegalArgumentException("need at least one label, got " + numLabels);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numLabels) {
                throw new IllegalArgumentException("example " + i + " has label index " + labels[i]
                        + ", outside [0, " + numLabels + ")");
            }
        }
    }

    /** Checks the parameters shared by the Dirichlet-based partitioners. */
    static void validateDirichlet(double alpha, int minPerNode) {
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("Dirichlet alpha must be positive and finite, got " + alpha);
        }
        if (minPerNode < 0) {
            throw new IllegalArgumentException("minPerNode must be >= 0, got " + minPerNode);
        }
    }

    /** {@link #validate}, plus: the nodes' minimum sizes must fit in the data. */
    static void validate(int[] labels, int numLabels, int nodes, int minPerNode) {
        validate(labels, numLabels, nodes);
        if ((long) nodes * minPerNode > labels.length) {
            throw new IllegalArgumentException(labels.length + " examples cannot give " + nodes + " nodes "
                    + minPerNode + " each");
        }
    }
}
