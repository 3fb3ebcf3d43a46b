package io.fedpipe.profile;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.planning.CostModel;
import io.fedpipe.planning.DevicePreset;
import io.fedpipe.planning.ModelShape;
import io.fedpipe.quant.QuantFormat;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A profiled node as a {@link DevicePreset}, so the unchanged {@code Planner} can plan it.
 *
 * <p>The planner's cost model is {@code t = FLOPs·s_f·(tok + h) / (tok·P·mfu)} with one
 * saturation constant h for all formats. This class fits exactly that form to the profile:
 * {@code t = k_f·FLOPs·(1 + h/tok)}, per format k_f by relative least squares for a given h, and h
 * by a 1-D search over [0, 10⁶] tokens. The preset then has mfu = 1, P = 1/k_FP32 (the measured
 * effective FP32 rate), slowdown_f = k_f/k_FP32 and halfUtilizationTokens = h. Its fit is
 * coarser than {@link FittedCostModel} (one shared h, FLOPs fix the rank/batch trade-off);
 * validate it with {@link #validate}. Formats not profiled get the largest measured slowdown:
 * a planner may still pick them, never at an optimistic speed. Memory stays the planner's
 * {@code MemoryModel}; the budget is the node's declared memory, the links its declared speeds.
 *
 * @param preset the device to put in a {@code NodeSpec} (compute scale 1)
 * @param halfUtilizationTokens the fitted h
 */
public record MeasuredDevice(DevicePreset preset, double halfUtilizationTokens) {

    /** Bytes per value of activations and non-linear parameters on this CPU: FP32 (STACK.md rule 13). */
    private static final int FLOAT_BYTES = 4;

    public static MeasuredDevice fit(String name, NodeProfile profile, ModelShape shape, long memoryBytes) {
        List<QuantFormat> formats = profile.formats();
        if (formats.isEmpty()) {
            throw new IllegalArgumentException("the profile has no step times");
        }
        double bestH = 0;
        double bestLoss = loss(profile, shape, 0);
        // Log grid, then a golden-section refinement around the best grid point.
        double lo = 0;
        double hi = 1;
        for (double h = 1; h <= 1e6; h *= 1.5) {
            double l = loss(profile, shape, h);
            if (l < bestLoss) {
                bestLoss = l;
                bestH = h;
                lo = h / 1.5;
                hi = h * 1.5;
            }
        }
        double g = (Math.sqrt(5) - 1) / 2;
        for (int i = 0; i < 60 && bestH > 0; i++) {
            double a = hi - g * (hi - lo);
            double b = lo + g * (hi - lo);
            if (loss(profile, shape, a) < loss(profile, shape, b)) {
                hi = b;
            } else {
                lo = a;
            }
        }
        if (bestH > 0 && loss(profile, shape, (lo + hi) / 2) < bestLoss) {
            bestH = (lo + hi) / 2;
        }
        Map<QuantFormat, Double> k = new EnumMap<>(QuantFormat.class);
        for (QuantFormat f : formats) {
            k.put(f, scale(profile, shape, f, bestH));
        }
        double reference = k.getOrDefault(QuantFormat.FP32, k.values().stream().min(Double::compare).orElseThrow());
        Map<QuantFormat, Double> slowdown = new EnumMap<>(QuantFormat.class);
        double worst = 0;
        for (Map.Entry<QuantFormat, Double> e : k.entrySet()) {
            slowdown.put(e.getKey(), e.getValue() / reference);
            worst = Math.max(worst, e.getValue() / reference);
        }
        for (QuantFormat f : QuantFormat.values()) {
            slowdown.putIfAbsent(f, worst);
        }
        return new MeasuredDevice(preset(name, memoryBytes, 1 / reference / 1e12, bestH, slowdown), bestH);
    }

    /**
     * The planner device of fitted figures: the effective FP32 rate at mfu 1, h, and a slowdown for
     * every format; no 16-bit compute path and no reserve (the budget is the node's own figure).
     */
    public static DevicePreset preset(String name, long memoryBytes, double fp32Tflops, double halfUtilizationTokens,
            Map<QuantFormat, Double> slowdown) {
        return new DevicePreset(name, memoryBytes, fp32Tflops, 0, 1.0, halfUtilizationTokens, 0, FLOAT_BYTES, slowdown);
    }

    /** x = FLOPs·(1 + h/tok): the planner's form for fixed h. */
    private static double feature(ModelShape shape, Set<LoraTarget> targets, int seq, int batch, int rank, double h) {
        double tokens = (double) batch * seq;
        return CostModel.stepFlops(shape, targets, rank, batch, seq) * (1 + h / tokens);
    }

    /** k minimising Σ(k·x/t − 1)²: k = Σ(x/t) / Σ(x/t)². */
    private static double scale(NodeProfile profile, ModelShape shape, QuantFormat f, double h) {
        double num = 0;
        double den = 0;
        for (NodeProfile.StepTiming t : profile.timings(f)) {
            double q = feature(shape, profile.targets(), profile.seq(), t.batch(), t.rank(), h) / t.medianSeconds();
            num += q;
            den += q * q;
        }
        return num / den;
    }

    private static double loss(NodeProfile profile, ModelShape shape, double h) {
        double loss = 0;
        for (QuantFormat f : profile.formats()) {
            double k = scale(profile, shape, f, h);
            for (NodeProfile.StepTiming t : profile.timings(f)) {
                double e = k * feature(shape, profile.targets(), profile.seq(), t.batch(), t.rank(), h) / t.medianSeconds() - 1;
                loss += e * e;
            }
        }
        return loss;
    }

    /** The planner's prediction ({@link CostModel#stepSeconds} on this preset) for each held-out timing. */
    public FittedCostModel.Validation validate(ModelShape shape, NodeProfile profile, List<NodeProfile.StepTiming> heldOut) {
        var node = new io.fedpipe.planning.NodeSpec("profiled", preset, Math.max(1, preset.memoryBytes()), 1, 1, 1, 0);
        return new FittedCostModel.Validation(heldOut.stream().map(t -> new FittedCostModel.Row(t.point(), t.medianSeconds(),
                CostModel.stepSeconds(shape, node, t.format(), profile.targets(), t.rank(), t.batch(), profile.seq()))).toList());
    }
}
