package io.fedpipe.core;

/** One adaptable matrix of a model: a target in a given transformer block. */
public record MatrixId(int layer, LoraTarget target) implements Comparable<MatrixId> {

    public MatrixId {
        if (layer < 0) {
            throw new IllegalArgumentException("layer must be >= 0: " + layer);
        }
        if (target == null) {
            throw new IllegalArgumentException("target is missing");
        }
    }

    @Override
    public int compareTo(MatrixId o) {
        int c = Integer.compare(layer, o.layer);
        return c != 0 ? c : target.compareTo(o.target);
    }

    @Override
    public String toString() {
        return layer + "." + target.key();
    }
}
