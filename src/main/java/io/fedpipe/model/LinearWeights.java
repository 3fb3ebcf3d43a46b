package io.fedpipe.model;

import io.fedpipe.core.HostTensor;
/** A linear layer's weights on the host: {@code weight [out, in]} (PyTorch layout), {@code bias [out]} or null. */
public record LinearWeights(HostTensor weight, HostTensor bias) {

    public LinearWeights {
        if (weight == null || weight.rank() != 2) {
            throw new IllegalArgumentException("a linear weight must be 2-D [out, in]: " + weight);
        }
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != weight.dim(0))) {
            throw new IllegalArgumentException("bias " + bias + " does not match weight " + weight);
        }
    }

    public int out() {
        return Math.toIntExact(weight.dim(0));
    }

    public int in() {
        return Math.toIntExact(weight.dim(1));
    }
}
