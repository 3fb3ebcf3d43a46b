package io.fedpipe.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * A frozen base-model matrix as the forward pass sees it: stored in some format (fp32,
 * or block-quantized) and materialized as float32 when a layer needs it.
 *
 * <p>Contract: {@link #materialize(NDManager)} returns an array that the caller may use
 * until {@code scope} closes and never has gradients attached. Formats that decode on
 * the fly create the decoded copy in {@code scope}, so it is freed with the step.
 */
public interface FrozenWeight extends AutoCloseable {

    /** Float32 view of the weight, valid while {@code scope} is open. */
    NDArray materialize(NDManager scope);

    /** The weight's shape, {@code [out, in]} for a linear layer. */
    Shape shape();

    /** Bytes the stored form occupies on the device (what quantization saves). */
    long storedBytes();

    /** The weight as host float32, for merging and saving. */
    HostTensor toHost();

    /** Name of the storage format ("fp32", "nf4", ...). */
    String format();

    @Override
    void close();
}
