package io.fedpipe.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * A float32 weight stored as is: materializing it costs nothing. Frozen, except after
 * {@code TransformerModel.unfreezeAll()} makes it trainable for full fine-tuning; then
 * {@link #materialize} returns the trainable array itself, so gradients reach it.
 */
public final class DenseWeight implements FrozenWeight {

    private final NDArray value;

    /** Takes ownership of {@code value} (it must not require gradients when handed over). */
    public DenseWeight(NDArray value) {
        if (value.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("dense weights are float32, got " + value.getDataType());
        }
        this.value = value;
    }

    public static DenseWeight of(NDManager manager, HostTensor tensor) {
        return new DenseWeight(manager.create(tensor.data(), new Shape(tensor.shape())));
    }

    @Override
    public NDArray materialize(NDManager scope) {
        return value;
    }

    /** The stored array itself (not a copy), for {@code TransformerModel.unfreezeAll()}. */
    public NDArray value() {
        return value;
    }

    @Override
    public Shape shape() {
        return value.getShape();
    }

    @Override
    public long storedBytes() {
        return value.size() * Float.BYTES;
    }

    @Override
    public HostTensor toHost() {
        return new HostTensor(value.getShape().getShape(), value.toFloatArray());
    }

    @Override
    public String format() {
        return "fp32";
    }

    @Override
    public void close() {
        value.close();
    }
}
