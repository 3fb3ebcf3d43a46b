package io.fedpipe.aggregation;

import io.fedpipe.core.HostTensor;

/**
 * A dense row-major double matrix for the aggregator's host math. Aggregation runs in double so
 * that averaging many float32 updates and factorizing them adds no error beyond the final
 * rounding back to float32.
 */
record Mat(int rows, int cols, double[] data) {

    Mat {
        if ((long) rows * cols != data.length) {
            throw new IllegalArgumentException(rows + "x" + cols + " matrix needs " + (long) rows * cols
                    + " values, got " + data.length);
        }
    }

    static Mat zeros(int rows, int cols) {
        return new Mat(rows, cols, new double[rows * cols]);
    }

    static Mat of(HostTensor t) {
        float[] f = t.data();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return new Mat(Math.toIntExact(t.dim(0)), Math.toIntExact(t.dim(1)), d);
    }

    HostTensor toHost() {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) data[i];
        }
        return new HostTensor(new long[] {rows, cols}, f);
    }

    double get(int i, int j) {
        return data[i * cols + j];
    }

    void set(int i, int j, double v) {
        data[i * cols + j] = v;
    }

    Mat scaled(double s) {
        double[] d = new double[data.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = s * data[i];
        }
        return new Mat(rows, cols, d);
    }

    /** Division rather than multiplication by 1/s, so {@code (s·x)/s} gives x back exactly. */
    Mat divided(double s) {
        double[] d = new double[data.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = data[i] / s;
        }
        return new Mat(rows, cols, d);
    }

    /** {@code this · o}, i-k-j loop order so the inner loop streams rows of both operands. */
    Mat times(Mat o) {
        if (cols != o.rows) {
            throw new IllegalArgumentException("cannot multiply " + rows + "x" + cols + " by " + o.rows + "x" + o.cols);
        }
        double[] r = new double[rows * o.cols];
        for (int i = 0; i < rows; i++) {
            int rOff = i * o.cols;
            for (int k = 0; k < cols; k++) {
                double v = data[i * cols + k];
                if (v == 0) {
                    continue;
                }
                int oOff = k * o.cols;
                for (int j = 0; j < o.cols; j++) {
                    r[rOff + j] += v * o.data[oOff + j];
                }
            }
        }
        return new Mat(rows, o.cols, r);
    }

    Mat transpose() {
        double[] t = new double[data.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = data[i * cols + j];
            }
        }
        return new Mat(cols, rows, t);
    }

    /** The first {@code n} columns, padded with zero columns when {@code n > cols}. */
    Mat leftColumns(int n) {
        Mat r = zeros(rows, n);
        int keep = Math.min(n, cols);
        for (int i = 0; i < rows; i++) {
            System.arraycopy(data, i * cols, r.data, i * n, keep);
        }
        return r;
    }

    /** The first {@code n} rows, padded with zero rows when {@code n > rows}. */
    Mat topRows(int n) {
        Mat r = zeros(n, cols);
        System.arraycopy(data, 0, r.data, 0, Math.min(n, rows) * cols);
        return r;
    }

    void addScaled(Mat o, double s) {
        for (int i = 0; i < data.length; i++) {
            data[i] += s * o.data[i];
        }
    }

    double frobenius() {
        double s = 0;
        for (double v : data) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    static double distance(Mat x, Mat y) {
        double s = 0;
        for (int i = 0; i < x.data.length; i++) {
            double d = x.data[i] - y.data[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }

    /** {@code [m_1 | m_2 | ...]}: matrices with equal row counts side by side. */
    static Mat hstack(java.util.List<Mat> ms) {
        int rows = ms.get(0).rows;
        int cols = ms.stream().mapToInt(Mat::cols).sum();
        Mat r = zeros(rows, cols);
        int c0 = 0;
        for (Mat m : ms) {
            for (int i = 0; i < rows; i++) {
                System.arraycopy(m.data, i * m.cols, r.data, i * cols + c0, m.cols);
            }
            c0 += m.cols;
        }
        return r;
    }

    /** {@code [m_1; m_2; ...]}: matrices with equal column counts stacked vertically. */
    static Mat vstack(java.util.List<Mat> ms) {
        int cols = ms.get(0).cols;
        int rows = ms.stream().mapToInt(Mat::rows).sum();
        double[] d = new double[rows * cols];
        int off = 0;
        for (Mat m : ms) {
            System.arraycopy(m.data, 0, d, off, m.data.length);
            off += m.data.length;
        }
        return new Mat(rows, cols, d);
    }
}
