package io.fedpipe.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.engine.EngineSetup;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.profile.FittedCostModel;
import io.fedpipe.profile.MeasuredDevice;
import io.fedpipe.profile.MemoryWorker;
import io.fedpipe.profile.NodeProfile;
import io.fedpipe.profile.NodeProfiler;
import io.fedpipe.profile.ProfilePoint;
import io.fedpipe.quant.QuantFormat;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code fedpipe bench profile}: profiles this node on a fitting grid, fits its cost model, then
 * times a disjoint validation grid and prints predicted against measured step time.
 */
final class ProfileBench {

    static final List<QuantFormat> FORMATS = List.of(QuantFormat.FP32, QuantFormat.INT8, QuantFormat.NF4);

    /** Per format: batches 2, 6, 12 × ranks 4, 16 (the corners and a middle batch). */
    static List<ProfilePoint> fittingGrid() {
        List<ProfilePoint> grid = new ArrayList<>();
        for (QuantFormat f : FORMATS) {
            for (int rank : List.of(4, 16)) {
                for (int batch : List.of(2, 6, 12)) {
                    grid.add(new ProfilePoint(f, batch, rank));
                }
            }
        }
        return grid;
    }

    /** Inside the grid (batch 4 rank 8 per format, batch 8 rank 12), and one batch beyond it (16). */
    static List<ProfilePoint> validationGrid() {
        return List.of(new ProfilePoint(QuantFormat.FP32, 4, 8), new ProfilePoint(QuantFormat.INT8, 4, 8),
                new ProfilePoint(QuantFormat.NF4, 4, 8), new ProfilePoint(QuantFormat.FP32, 8, 12),
                new ProfilePoint(QuantFormat.INT8, 8, 12), new ProfilePoint(QuantFormat.NF4, 16, 8));
    }

    private ProfileBench() {}

    static int run(PrintWriter out, String model, int seq, int threads, int timedSteps, boolean json) throws Exception {
        if (!model.equalsIgnoreCase(PretrainedModels.MINILM_L6)) {
            throw new IllegalArgumentException("bench profile measures " + PretrainedModels.MINILM_L6 + " only, not '" + model + "'");
        }
        EngineSetup.start(threads);
        long t0 = System.nanoTime();
        TransformerWeights weights = PretrainedModels.miniLmL6();
        NodeProfiler.Settings base = NodeProfiler.Settings.defaults(seq);
        NodeProfiler.Settings settings = new NodeProfiler.Settings(seq, base.targets(), base.classes(), base.warmupSteps(),
                timedSteps, base.memoryRank(), base.memorySmallBatch(), base.memoryLargeBatch(), base.memorySteps(), base.seed());
        // Memory first, one JVM per format: in this process the allocator keeps what one format freed
        // and the next format's growth would hide in it.
        List<NodeProfile.FormatMemory> memory = new ArrayList<>();
        for (QuantFormat f : FORMATS) {
            memory.add(MemoryWorker.measure(PretrainedModels.MINILM_L6, seq, threads, f));
        }
        NodeProfile profile;
        List<NodeProfile.StepTiming> heldOut;
        NodeProfiler profiler;
        try (NDManager m = NDManager.newBaseManager()) {
            profiler = new NodeProfiler(m, weights, PretrainedModels.MINILM_L6, settings);
            profile = new NodeProfile(PretrainedModels.MINILM_L6, seq, threads, settings.targets(),
                    profiler.time(fittingGrid()), memory);
            heldOut = profiler.time(validationGrid());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        FittedCostModel flops = FittedCostModel.fit(profile, profiler.shape(), FittedCostModel.Form.FLOPS);
        FittedCostModel tokensRank = FittedCostModel.fit(profile, profiler.shape(), FittedCostModel.Form.TOKENS_RANK);
        MeasuredDevice device = MeasuredDevice.fit("measured", profile, profiler.shape(), 0);
        FittedCostModel.Validation vFlops = flops.validate(heldOut);
        FittedCostModel.Validation vTokens = tokensRank.validate(heldOut);
        FittedCostModel.Validation vPlanner = device.validate(profiler.shape(), profile, heldOut);
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode o = mapper.createObjectNode();
            o.set("profile", mapper.valueToTree(profile));
            o.set("held_out", mapper.valueToTree(heldOut));
            ArrayNode fits = o.putArray("fits");
            for (FittedCostModel f : List.of(flops, tokensRank)) {
                ObjectNode n = fits.addObject();
                n.put("formula", f.form().formula());
                for (QuantFormat q : f.formats()) {
                    n.set(q.configName(), mapper.valueToTree(f.coefficients(q)));
                }
                n.set("validation", mapper.valueToTree(f.validate(heldOut).rows()));
                n.put("max_abs_error_pct", f.validate(heldOut).maxAbsErrorPercent());
            }
            o.set("planner_preset", mapper.valueToTree(device.preset()));
            o.put("planner_preset_max_abs_error_pct", vPlanner.maxAbsErrorPercent());
            o.put("wall_seconds", seconds);
            out.println(mapper.writeValueAsString(o));
            out.flush();
            return 0;
        }
        out.printf(Locale.ROOT, "profile: %s, seq %d, %d thread(s), q,k,v,o adapted; %d fitting + %d validation configs "
                + "(%d warm-up + %d timed steps each, median) in %.0f s%n", profile.model(), seq, profile.threads(),
                profile.timings().size(), heldOut.size(), settings.warmupSteps(), timedSteps, seconds);
        out.println("memory (measured, one JVM per format: peak RSS growth over the idle model at batch "
                + settings.memorySmallBatch() + " and " + settings.memoryLargeBatch() + ", rank " + settings.memoryRank() + "):");
        out.printf(Locale.ROOT, "  %-5s %14s %12s %16s %14s%n", "bits", "linears (B)", "other (B)", "act/sample (MB)", "fixed (MB)");
        for (NodeProfile.FormatMemory fm : profile.memory()) {
            out.printf(Locale.ROOT, "  %-5s %14d %12d %16.2f %14.1f%n", fm.format().configName(), fm.baseLinearBytes(),
                    fm.baseOtherBytes(), fm.activationBytesPerSample() / 1e6, fm.fixedStepBytes() / 1e6);
        }
        for (FittedCostModel f : List.of(flops, tokensRank)) {
            out.println("fit " + f);
        }
        out.printf(Locale.ROOT, "planner preset: %.1f GFLOP/s effective fp32, h = %.0f tokens, slowdown int8 %.2f, nf4 %.2f%n",
                device.preset().fp32Tflops() * 1e3, device.halfUtilizationTokens(),
                device.preset().slowdown().get(QuantFormat.INT8), device.preset().slowdown().get(QuantFormat.NF4));
        out.printf(Locale.ROOT, "%-5s %5s %4s %9s %13s %7s %13s %7s %11s %7s%n", "bits", "batch", "rank", "meas ms",
                "pred ms FLOPS", "err %", "pred ms TOK-R", "err %", "pred ms plan", "err %");
        for (int i = 0; i < heldOut.size(); i++) {
            FittedCostModel.Row a = vFlops.rows().get(i);
            FittedCostModel.Row b = vTokens.rows().get(i);
            FittedCostModel.Row c = vPlanner.rows().get(i);
            out.printf(Locale.ROOT, "%-5s %5d %4d %9.1f %13.1f %+7.1f %13.1f %+7.1f %11.1f %+7.1f%n",
                    a.point().format().configName(), a.point().batch(), a.point().rank(), a.measuredSeconds() * 1e3,
                    a.predictedSeconds() * 1e3, a.errorPercent(), b.predictedSeconds() * 1e3, b.errorPercent(),
                    c.predictedSeconds() * 1e3, c.errorPercent());
        }
        out.printf(Locale.ROOT, "max |error|: FLOPS %.1f%%, TOKENS_RANK %.1f%%, planner preset %.1f%%%n",
                vFlops.maxAbsErrorPercent(), vTokens.maxAbsErrorPercent(), vPlanner.maxAbsErrorPercent());
        out.flush();
        return 0;
    }
}
