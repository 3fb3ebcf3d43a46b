package io.fedpipe.aggregation;

import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.core.HostTensor;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Seeded test updates and an independent dense reference (plain loops, no production code). */
public final class Updates {

    private Updates() {}

    static HostTensor tensor(int rows, int cols, float... values) {
        return new HostTensor(new long[] {rows, cols}, values);
    }

    static HostTensor gaussian(Random rnd, int rows, int cols, double std) {
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (rnd.nextGaussian() * std);
        }
        return tensor(rows, cols, d);
    }

    static PeftAdapters.Adapter adapter(Random rnd, int r, int out, int in) {
        return new PeftAdapters.Adapter(gaussian(rnd, r, in, 1 / Math.sqrt(in)), gaussian(rnd, out, r, 0.05));
    }

    static NodeUpdate node(String id, double weight, Map<MatrixId, PeftAdapters.Adapter> adapters, float alpha) {
        Map<MatrixId, Float> scales = new java.util.TreeMap<>();
        adapters.forEach((m, a) -> scales.put(m, alpha / a.a().shape()[0]));
        return NodeUpdate.lora(id, weight, adapters, scales);
    }

    /** {@code s·B·A} as a row-major double array. */
    public static double[] dense(HostTensor a, HostTensor b, double s) {
        int r = (int) a.dim(0);
        int in = (int) a.dim(1);
        int out = (int) b.dim(0);
        double[] w = new double[out * in];
        for (int i = 0; i < out; i++) {
            for (int j = 0; j < in; j++) {
                double acc = 0;
                for (int k = 0; k < r; k++) {
                    acc += (double) b.data()[i * r + k] * a.data()[k * in + j];
                }
                w[i * in + j] = s * acc;
            }
        }
        return w;
    }

    public static double[] dense(ScaledAdapter s) {
        return dense(s.adapter().a(), s.adapter().b(), s.scale());
    }

    /** {@code Σ w_n s_n B_n A_n / Σ w_n} over the given nodes that hold {@code id}. */
    static double[] exactAverage(List<NodeUpdate> nodes, MatrixId id) {
        double total = nodes.stream().filter(n -> n.adapters().containsKey(id)).mapToDouble(NodeUpdate::weight).sum();
        double[] sum = null;
        for (NodeUpdate n : nodes) {
            PeftAdapters.Adapter ad = n.adapters().get(id);
            if (ad == null) {
                continue;
            }
            double[] d = dense(ad.a(), ad.b(), n.scales().get(id));
            if (sum == null) {
                sum = new double[d.length];
            }
            for (int i = 0; i < d.length; i++) {
                sum[i] += n.weight() / total * d[i];
            }
        }
        return sum;
    }

    static double relativeError(double[] got, double[] want) {
        double diff = 0;
        double ref = 0;
        for (int i = 0; i < want.length; i++) {
            diff += (got[i] - want[i]) * (got[i] - want[i]);
            ref += want[i] * want[i];
        }
        return Math.sqrt(diff / ref);
    }

    static double[] transpose(double[] m, int rows, int cols) {
        double[] t = new double[m.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = m[i * cols + j];
            }
        }
        return t;
    }
}
