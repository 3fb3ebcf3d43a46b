package io.fedpipe.core;

import ai.djl.ndarray.NDManager;

/** Decides how each frozen matrix is stored on the device (fp32, or quantized). */
@FunctionalInterface
public interface FrozenWeightFactory {

    FrozenWeight freeze(NDManager manager, MatrixId id, HostTensor weight);

    /** Keeps every weight as dense float32. */
    static FrozenWeightFactory dense() {
        return (manager, id, weight) -> DenseWeight.of(manager, weight);
    }
}
