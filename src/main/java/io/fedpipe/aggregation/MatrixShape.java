package io.fedpipe.aggregation;

/** The shape {@code [out, in]} of an adapted weight (PyTorch's layout), so {@code A [r, in]}, {@code B [out, r]}. */
public record MatrixShape(int out, int in) {

    public MatrixShape {
        if (out <= 0 || in <= 0) {
            throw new IllegalArgumentException("matrix shape must be positive: [" + out + ", " + in + "]");
        }
    }

    @Override
    public String toString() {
        return "[" + out + ", " + in + "]";
    }
}
