package io.fedpipe.quant;

/**
 * Per-block absmax scales stored in 8 bits (QLoRA §3, "Double Quantization").
 *
 * <p>The scales are all positive, so their global mean is subtracted first, as in QLoRA, to use
 * the signed 8-bit range well. The centered scales are then quantized like INT8 weights: in groups
 * of {@value #GROUP_SIZE}, each with one float32 step {@code max|c - mean| / 127}, codes
 * {@code rint((c - mean) / step)}. (QLoRA stores 8-bit floats here; symmetric integers keep the
 * on-device decode to a multiply and an add.) Decoding is {@code max(0, code * step + mean)} in
 * float32, two separately rounded operations, so that host and device produce the same bits; the
 * clamp keeps a scale of an all-zero block from turning negative.
 *
 * <p>Storage: one byte per block, four per group, four for the mean; for block size 64 that is
 * 1/64 + 4/(64·256) bytes per parameter instead of 4/64.
 */
final class DoubleQuantizedScales {

    static final int GROUP_SIZE = 256;
    private static final int CODE_MAX = 127;

    private final byte[] codes;
    private final float[] steps;
    private final float mean;

    private DoubleQuantizedScales(byte[] codes, float[] steps, float mean) {
        this.codes = codes;
        this.steps = steps;
        this.mean = mean;
    }

    static DoubleQuantizedScales quantize(float[] scales) {
        double sum = 0;
        for (float scale : scales) {
            sum += scale;
        }
        float mean = (float) (sum / scales.length);
        int groups = (scales.length + GROUP_SIZE - 1) / GROUP_SIZE;
        byte[] codes = new byte[scales.length];
        float[] steps = new float[groups];
        for (int g = 0; g < groups; g++) {
            int from = g * GROUP_SIZE;
            int to = Math.min(scales.length, from + GROUP_SIZE);
            double maxCentered = 0;
            for (int i = from; i < to; i++) {
                maxCentered = Math.max(maxCentered, Math.abs((double) scales[i] - mean));
            }
            float step = (float) (maxCentered / CODE_MAX);
            steps[g] = step;
            if (step == 0f) {
                continue;
            }
            for (int i = from; i < to; i++) {
                double code = Math.rint(((double) scales[i] - mean) / step);
                codes[i] = (byte) Math.max(-CODE_MAX, Math.min(CODE_MAX, code));
            }
        }
        return new DoubleQuantizedScales(codes, steps, mean);
    }

    float[] decode() {
        float[] scales = new float[codes.length];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = Math.max(0f, codes[i] * steps[i / GROUP_SIZE] + mean);
        }
        return scales;
    }

    long storageBytes() {
        return codes.length + 4L * steps.length + 4L;
    }

    int scaleCount() {
        return codes.length;
    }

    int groupCount() {
        return steps.length;
    }

    /** The 8-bit codes, one per block; the caller must not modify the array. */
    byte[] codesView() {
        return codes;
    }

    /** The float32 step of each group; the caller must not modify the array. */
    float[] stepsView() {
        return steps;
    }

    float mean() {
        return mean;
    }
}
