package io.fedpipe.model;

import io.fedpipe.core.HostTensor;
/** Small host-side reshapes of {@link HostTensor}s used when converting checkpoint layouts. */
public final class Tensors {

    private Tensors() {}

    /** Transpose of a 2-D tensor. */
    public static HostTensor transpose(HostTensor t) {
        int rows = Math.toIntExact(t.dim(0));
        int cols = Math.toIntExact(t.dim(1));
        float[] src = t.data();
        float[] dst = new float[src.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                dst[j * rows + i] = src[i * cols + j];
            }
        }
        return new HostTensor(new long[] {cols, rows}, dst);
    }

    /** Columns {@code [from, to)} of a 2-D tensor. */
    public static HostTensor columns(HostTensor t, int from, int to) {
        int rows = Math.toIntExact(t.dim(0));
        int cols = Math.toIntExact(t.dim(1));
        int w = to - from;
        float[] dst = new float[rows * w];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(t.data(), i * cols + from, dst, i * w, w);
        }
        return new HostTensor(new long[] {rows, w}, dst);
    }

    /** Concatenation of 2-D tensors with equal row counts along the columns. */
    public static HostTensor concatColumns(HostTensor... parts) {
        int rows = Math.toIntExact(parts[0].dim(0));
        int total = 0;
        for (HostTensor p : parts) {
            if (p.dim(0) != rows) {
                throw new IllegalArgumentException("row counts differ: " + p + " vs " + parts[0]);
            }
            total += Math.toIntExact(p.dim(1));
        }
        float[] dst = new float[rows * total];
        int off = 0;
        for (HostTensor p : parts) {
            int w = Math.toIntExact(p.dim(1));
            for (int i = 0; i < rows; i++) {
                System.arraycopy(p.data(), i * w, dst, i * total + off, w);
            }
            off += w;
        }
        return new HostTensor(new long[] {rows, total}, dst);
    }

    public static HostTensor slice1d(HostTensor t, int from, int to) {
        float[] dst = new float[to - from];
        System.arraycopy(t.data(), from, dst, 0, dst.length);
        return new HostTensor(new long[] {dst.length}, dst);
    }

    public static HostTensor concat1d(HostTensor... parts) {
        int n = 0;
        for (HostTensor p : parts) {
            n += p.data().length;
        }
        float[] dst = new float[n];
        int off = 0;
        for (HostTensor p : parts) {
            System.arraycopy(p.data(), 0, dst, off, p.data().length);
            off += p.data().length;
        }
        return new HostTensor(new long[] {n}, dst);
    }
}
