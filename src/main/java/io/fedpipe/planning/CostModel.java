package io.fedpipe.planning;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.quant.QuantFormat;
import java.util.Set;

/**
 * Predicted time of one training step and of one round's adapter exchange.
 *
 * <p>Step FLOPs are counted as {@code io.fedpipe.bench.StepFlops} does (forward of every matmul;
 * backward input gradients only for frozen weights, plus the adapters' weight gradients; the first
 * block's frozen q, k, v need no input gradient), generalised to gated FFNs (3 matrices) and to a
 * decoder's LM head over every token (forward + input gradient). Recomputation is not counted as
 * useful work: it is inside the per-format slowdown. Step time is
 * {@code FLOPs × slowdown(format) / (peak(format) × mfu × util(b·T) × computeScale)}; for a decoder
 * the slowdown applies to the blocks only, and the loss's element-wise work over the
 * {@code B × T × V} logits adds {@link #LOGIT_WORK} FLOP-equivalents per logit:
 * {@code (F_blocks × slowdown + F_head + LOGIT_WORK·B·T·V) / rate}.
 *
 * <p>Transfer: the adapters go up and the aggregate comes down each round, FP32:
 * {@code 4·P·8 / up + 4·P·8 / down} seconds with links in bit/s.
 */
public final class CostModel {

    /**
     * FLOP-equivalents of the element-wise work per logit of a decoder's loss (slice copy,
     * log-softmax, pick and their backward over B × T × V values: memory-bound, not FLOPs).
     * Fitted by {@code ./fedpipe bench memory} on fedpipe-lm-small with vocabularies 8,192 and 32,768
     * on this machine's 2 cores (BENCHMARKS §9): ≈ 48 ns per logit at the cpu-2core rate; an
     * assumption on other devices.
     */
    static final double LOGIT_WORK = 7000;

    private CostModel() {}

    /** LoRA parameters when every {@code targets} matrix of every layer has rank {@code rank}. */
    public static long adapterParameters(ModelShape shape, Set<LoraTarget> targets, int rank) {
        long perLayer = 0;
        for (LoraTarget t : targets) {
            perLayer += (long) rank * (shape.inFeatures(t) + shape.outFeatures(t));
        }
        return perLayer * shape.layers();
    }

    /** LoRA parameters of the policy's adapters at {@code rank}: its selected matrices, or every target in every layer. */
    public static long adapterParameters(ModelShape shape, PlanningPolicy policy, int rank) {
        if (policy.matrices().isEmpty()) {
            return adapterParameters(shape, policy.targets(), rank);
        }
        long total = 0;
        for (MatrixId id : policy.matrices()) {
            if (id.layer() >= shape.layers()) {
                throw new IllegalArgumentException("selected matrix " + id + " is beyond the " + shape.layers()
                        + " layers of " + shape.name());
            }
            total += (long) rank * (shape.inFeatures(id.target()) + shape.outFeatures(id.target()));
        }
        return total;
    }

    public static double stepFlops(ModelShape shape, Set<LoraTarget> targets, int rank, int batch, int seq) {
        return stepFlops(shape, adapterParameters(shape, targets, rank), batch, seq);
    }

    /** Step FLOPs with {@code adapterParameters} LoRA parameters in total, wherever they sit. */
    public static double stepFlops(ModelShape shape, long adapterParameters, int batch, int seq) {
        double d = shape.hidden();
        double f = shape.intermediate();
        double kv = shape.kvWidth();
        double tokens = (double) batch * seq;
        double baseLinear = 2 * (2 * d * d + 2 * d * kv + shape.ffnMatrices() * d * f); // q, o; k, v; FFN
        double attention = 2 * 2 * seq * d; // QKᵀ and P·V, per token
        double lora = 2.0 * adapterParameters / shape.layers();
        double forward = baseLinear + attention + lora;
        // Backward: input gradients of the frozen linears, twice the attention, twice the adapters.
        double backward = baseLinear + 2 * attention + 2 * lora;
        double firstBlockSaving = 2 * (d * d + 2 * d * kv); // embeddings are frozen: no input gradient for q, k, v
        double perToken = shape.layers() * (forward + backward) - firstBlockSaving;
        return tokens * perToken + headFlops(shape, batch, seq);
    }

    /** Achieved FLOP/s of a node for a base format and {@code batch·seq} tokens per step. */
    public static double flopsPerSecond(NodeSpec node, QuantFormat format, int batch, int seq) {
        DevicePreset device = node.device();
        double tokens = (double) batch * seq;
        double utilization = tokens / (tokens + device.halfUtilizationTokens());
        return device.peakTflops(format) * 1e12 * device.mfu() * utilization * node.computeScale();
    }

    public static double stepSeconds(ModelShape shape, NodeSpec node, QuantFormat format, Set<LoraTarget> targets,
                                     int rank, int batch, int seq) {
        return stepSeconds(shape, node, format, adapterParameters(shape, targets, rank), batch, seq);
    }

    /** Step seconds with {@code adapterParameters} LoRA parameters in total. */
    public static double stepSeconds(ModelShape shape, NodeSpec node, QuantFormat format, long adapterParameters,
                                     int batch, int seq) {
        double head = headFlops(shape, batch, seq);
        double blocks = stepFlops(shape, adapterParameters, batch, seq) - head;
        double logits = shape.causalLm() ? LOGIT_WORK * batch * seq * (double) shape.vocab() : 0;
        // The LM head is a float matrix and is not recomputed: the format's slowdown is the blocks' only.
        return (blocks * node.device().slowdown().get(format) + head + logits) / flopsPerSecond(node, format, batch, seq);
    }

    /** FLOPs of a decoder's LM head over every token, forward and input gradient; 0 for an encoder. */
    public static double headFlops(ModelShape shape, int batch, int seq) {
        return shape.causalLm() ? 2.0 * 2 * batch * seq * (double) shape.hidden() * shape.vocab() : 0;
    }

    public static double transferSeconds(NodeSpec node, long adapterParameters) {
        double bits = adapterParameters * 4.0 * 8;
        return bits / (node.uplinkMbps() * 1e6) + bits / (node.downlinkMbps() * 1e6);
    }
}
