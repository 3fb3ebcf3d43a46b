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
 *
 * <p><b>Decoders</b> (causal LMs: GPT-2, Llama) have their own terms, per token, f the FFN width,
 * V the vocabulary:
 * <pre>
 *   block:               S·(8·d + 5·f) + C_ATTENTION·h·T        (S = C_DECODER_SLACK)
 *   whole graph:        e·b·T·(L·block + C_LOGITS·V) + DECODER_STEP_FIXED_BYTES
 *   per-block recompute: e·b·T·(L·C_KEPT_DECODER·d + block + C_LOGITS·V) + DECODER_STEP_FIXED_BYTES
 * </pre>
 * 8·d + 5·f counts what a Llama block's autograd graph saves per token: the RMSNorm outputs, the
 * rotated q, k and v repeated to h heads (grouped-query k/v are repeated before the products, so
 * GQA saves no activation memory here; it narrows the k/v weights and adapters, which
 * {@link ModelShape} counts), the attention context, the residual, and SwiGLU's gate, its sigmoid,
 * SiLU, up and product (f wide each). The logits term holds the B × T × V logits of
 * {@code CausalLm.loss}: the logits, the reshaped copy of their first T − 1 positions, the
 * log-softmax output (saved for its backward), and during the backward the dense gradients of
 * those, about 4.5 copies at the peak (measured: the same shape with V = 32,768 instead of 8,192
 * grew by 3.6–5.1 copies at 512–1,024 tokens over two runs, but by 8.5–11 at 256 tokens, where
 * the model under-estimates a large vocabulary). The logits live in the step's scope until the step
 * ends, so they count in full with recompute too, where the loss is backpropagated before the
 * blocks. Each decoder step also adds {@code DECODER_STEP_FIXED_BYTES} = 50 MB that do not scale
 * with b·T (allocator and engine state; without it the 256-token points were under-estimated by
 * up to 37%). S = 1.9, C_KEPT_DECODER = 20.2 and the fixed 50 MB were fitted (least squares on
 * relative error, C_LOGITS and C_ATTENTION held) to two runs of {@code ./fedpipe bench memory
 * --model fedpipe-lm-small}, fp32 whole graph and int8/nf4 recompute, batch 4–16 × 64–128 tokens,
 * on this project's 2-core machine (BENCHMARKS §9.1): mean |error| 11%, max 20% over the 36
 * points; repeated points differ by up to ±20% between runs. GPT-2's tanh-GELU FFN also saves
 * about five f-wide tensors and uses the same constants, unmeasured.
 */
public final class MemoryModel {

    static final double C_TOKEN = 31.0;
    static final double C_KEPT = 15.4;
    static final double C_ATTENTION = 2.0;
    /** Values per token and block that a decoder block's autograd graph saves, d-wide and FFN-wide (algebra). */
    static final double DECODER_SAVED_D = 8;
    static final double DECODER_SAVED_F = 5;
    /** Measured decoder block memory over {@link #DECODER_SAVED_D}·d + {@link #DECODER_SAVED_F}·f (see the class doc). */
    static final double C_DECODER_SLACK = 1.9;
    /** Copies of the B × T × V logits alive at the peak of the causal-LM loss (see the class doc). */
    static final double C_LOGITS = 4.5;
    /** Kept values per token and block with per-block recompute, decoders (see the class doc). */
    static final double C_KEPT_DECODER = 20.2;
    /** A decoder step's growth that does not scale with its tokens (see the class doc). */
    static final double DECODER_STEP_FIXED_BYTES = 50e6;
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
        double attention = C_ATTENTION * shape.heads() * (double) seq;
        double perToken;
        if (shape.causalLm()) {
            double block = C_DECODER_SLACK * (DECODER_SAVED_D * d + DECODER_SAVED_F * shape.intermediate()) + attention;
            double logits = C_LOGITS * shape.vocab();
            perToken = (recompute ? shape.layers() * C_KEPT_DECODER * d + block : shape.layers() * block) + logits;
            return Math.round((double) bytesPerValue * batch * seq * perToken + DECODER_STEP_FIXED_BYTES);
        } else {
            double perTokenLayer = C_TOKEN * d + attention;
            perToken = recompute ? shape.layers() * C_KEPT * d + perTokenLayer : shape.layers() * perTokenLayer;
        }
        return Math.round((double) bytesPerValue * batch * seq * perToken);
    }

    /**
     * The LM head's share of {@link #activationBytes} for a decoder: {@code C_LOGITS} copies of the
     * {@code B × T × V} logits (0 for an encoder, whose head is a small classifier).
     */
    public static long logitsBytes(ModelShape shape, int batch, int seq, int bytesPerValue) {
        return shape.causalLm() ? Math.round((double) bytesPerValue * batch * seq * C_LOGITS * shape.vocab()) : 0;
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
