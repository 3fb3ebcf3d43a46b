package io.fedpipe.lora;

import io.fedpipe.core.HostTensor;
import java.util.Arrays;

/** Host-side LoRA arithmetic: merging an adapter into a base weight, checks on shapes. */
public final class LoraMath {

    private LoraMath() {}

    /**
     * {@code W + scale·B·A} for {@code W [out,in]}, {@code A [r,in]}, {@code B [out,r]},
     * accumulated in double so merging adds no error beyond float rounding of the result.
     */
    public static HostTensor merge(HostTensor w, HostTensor a, HostTensor b, float scale) {
        int out = Math.toIntExact(w.dim(0));
        int in = Math.toIntExact(w.dim(1));
        int r = Math.toIntExact(a.dim(0));
        requireShape("lora_A", a, r, in);
        requireShape("lora_B", b, out, r);
        float[] wd = w.data();
        float[] ad = a.data();
        float[] bd = b.data();
        float[] merged = new float[wd.length];
        double[] row = new double[in];
        for (int i = 0; i < out; i++) {
            Arrays.fill(row, 0);
            for (int k = 0; k < r; k++) {
                double bik = bd[i * r + k];
                if (bik == 0) {
                    continue;
                }
                int aOff = k * in;
                for (int j = 0; j < in; j++) {
                    row[j] += bik * ad[aOff + j];
                }
            }
            int off = i * in;
            for (int j = 0; j < in; j++) {
                merged[off + j] = (float) (wd[off + j] + scale * row[j]);
            }
        }
        return new HostTensor(new long[] {out, in}, merged);
    }

    static void requireShape(String what, HostTensor t, long rows, long cols) {
        if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
            throw new IllegalArgumentException(
                    what + " has shape " + Arrays.toString(t.shape()) + ", expected [" + rows + ", " + cols + "]");
        }
    }
}
