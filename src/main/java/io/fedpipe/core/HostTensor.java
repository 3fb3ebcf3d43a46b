package io.fedpipe.core;

import java.util.Arrays;
import java.util.Objects;

/**
 * A dense float32 tensor on the Java heap, in row-major order.
 *
 * <p>This is the form in which weights cross every boundary that must not carry an
 * {@code NDArray}: files, actor messages, the quantizer. Shapes follow the producer's
 * convention (for a linear layer: {@code [out, in]}, as PyTorch stores it).
 */
public record HostTensor(long[] shape, float[] data) {

    public HostTensor {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        long n = elementCount(shape);
        if (n != data.length) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(shape) + " holds " + n + " elements but data has " + data.length);
        }
        shape = shape.clone();
    }

    /** Number of elements a tensor of this shape holds; rejects negative dimensions. */
    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int axis) {
        return shape[axis];
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "HostTensor" + Arrays.toString(shape);
    }
}
