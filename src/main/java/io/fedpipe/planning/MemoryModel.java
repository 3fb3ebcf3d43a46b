package io.fedpipe.planning;

import io.fedpipe.quant.QuantFormat;

/**
 * Training memory of one node, in bytes: frozen base + adapters with their optimizer state +
 * activations. A model of peak growth over an idle process, not a measurement.
 *
 * <p><b>Base.</b> Block linears take {@link #bytesPerParameter} of their format (block-scaled
 * formats add one FP32 absmax per 64 values; double quantization would save a little more, not
 * counted). Embeddings, norms, biases and an untied LM head stay in a float format: FP32 with an
 * FP32 base, otherwise the device's {@code floatBytes} (BF16 on GPUs as in QLoRA; FP32 on this
 * CPU, where DJL's BF16 is unusable, STACK.md rule 13).
 *
 * <p><b>Adapters.</b> Each LoRA parameter: 4 B weight + 4 B gradient + 8 B AdamW moments = 16 B.
 *
 * <p><b>Activations</b> for batch b, sequence T, L layers, width d, h heads, e bytes per value:
 * <pre>
 *   whole graph:        e·b·T·L·(C_TOKEN·d + C_ATTENTION·h·T)
 *   per-block recompute: e·b·T·(L·C_KEPT·d + C_TOKEN·d + C_ATTENTION·h·T)
 * </pre>
 * Recompute keeps each block's input and builds one block's graph at a time. C_ATTENTION = 2
 * (scores and probabilities per head, kept for backward) is taken from the algebra; C_TOKEN and
 * C_KEPT are calibrated on MiniLM-L6 (b=16, T=64, FP32): step peak growth ≈ 330 MB whole-graph
 * gives C_TOKEN = 31 and ≈ 200 MB with recompute gives C_KEPT = 15.4. The algebra says C_KEPT ≈ 1;
 * the measured peak also holds the forward's transient tensors and allocator slack, so the model
 * over-estimates recompute memory for deep models: conservative, never unsafe. Recalibrate both
 * from {@code ./fedpipe bench step} on the target device.
 */
public final class MemoryModel {

    static final double C_TOKEN = 31.0;
    static final double C_KEPT = 15.4;
    static final double C_ATTENTION = 2.0;
    /** Weight, gradient and the two AdamW moments, FP32 each. */
    static final int ADAPTER_BYTES_PER_PARAMETER = 16;
    private static final int BLOCK = 64;

    private MemoryModel() {}

    /** Storage of one frozen linear parameter: codes plus a 4-byte scale per block of 64 values. */
    public static double bytesPerParameter(QuantFormat format) {
        double code = format.bitsPerValue() / 8.0;
        return format.blockScaled() ? code + 4.0 / BLOCK : code;
    }

    public static long baseBytes(ModelShape shape, QuantFormat format, DevicePreset device) {
        double linears = shape.linearParameters() * bytesPerParameter(format);
        double others = (double) shape.otherParameters() * device.floatBytes(format);
        return Math.round(linears + others);
    }

    public static long adapterBytes(long adapterParameters) {
        return adapterParameters * ADAPTER_BYTES_PER_PARAMETER;
    }

    /** Whether a base format trains with per-block recompute (every format but FP32, as the trainer does). */
    public static boolean recomputes(QuantFormat format) {
        return format != QuantFormat.FP32;
    }

    public static long activationBytes(ModelShape shape, int batch, int seq, boolean recompute, int bytesPerValue) {
        double d = shape.hidden();
        double perTokenLayer = C_TOKEN * d + C_ATTENTION * shape.heads() * (double) seq;
        double perToken = recompute ? shape.layers() * C_KEPT * d + perTokenLayer : shape.layers() * perTokenLayer;
        return Math.round((double) bytesPerValue * batch * seq * perToken);
    }

    /** Base, adapters and activations of one configuration; {@code total()} is what must fit. */
    public record Breakdown(long baseBytes, long adapterBytes, long activationBytes) {
        public long total() {
            return baseBytes + adapterBytes + activationBytes;
        }
    }

    /**
     * Full fine-tuning (the FT baseline): the FP32 base, and for every weight its gradient and two
     * AdamW moments (12 more bytes per parameter, counted as "adapters"), whole-graph activations.
     */
    public static Breakdown fullFineTune(ModelShape shape, int batch, int seq) {
        long parameters = shape.linearParameters() + shape.otherParameters();
        return new Breakdown(4 * parameters, 12 * parameters, activationBytes(shape, batch, seq, false, 4));
    }

    public static Breakdown of(ModelShape shape, DevicePreset device, QuantFormat format, int batch, int seq,
                               long adapterParameters) {
        return new Breakdown(baseBytes(shape, format, device), adapterBytes(adapterParameters),
                activationBytes(shape, batch, seq, recomputes(format), device.floatBytes(format)));
    }
}
