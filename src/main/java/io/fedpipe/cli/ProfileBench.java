package io.fedpipe.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.profile.FittedCostModel;
import io.fedpipe.profile.MeasuredDevice;
import io.fedpipe.profile.MeasuredProfile;
import io.fedpipe.profile.MemoryWorker;
import io.fedpipe.profile.NodeProfile;
import io.fedpipe.profile.NodeProfiler;
import io.fedpipe.profile.ProfilePoint;
import io.fedpipe.quant.QuantFormat;
import java.io.PrintWriter;
import java.nio.file.Path;
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

    /** @param profileFile where to write the wall-clock fit as a {@link MeasuredProfile}, or null */
    static int run(PrintWriter out, String model, int seq, int threads, int timedSteps, boolean json, Path profileFile)
            throws Exception {
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
        Clocked wall = Clocked.of(profile, heldOut, profiler);
        boolean hasCpu = heldOut.stream().allMatch(t -> !t.cpuSeconds().isEmpty())
                && profile.timings().stream().allMatch(t -> !t.cpuSeconds().isEmpty());
        Clocked cpu = hasCpu && threads == 1 ? Clocked.of(profile.onCpuClock(),
                heldOut.stream().map(NodeProfile.StepTiming::onCpuClock).toList(), profiler) : null;
        if (profileFile != null) {
            // Wall clock: the planner predicts the wall time of a round on this node.
            MeasuredProfile.of(profile, wall.device(), wall.flopsFit()).write(profileFile);
        }
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode o = mapper.createObjectNode();
            o.set("profile", mapper.valueToTree(profile));
            o.set("held_out", mapper.valueToTree(heldOut));
            wall.write(mapper, o.putObject("wall_clock"));
            if (cpu != null) {
                cpu.write(mapper, o.putObject("thread_cpu_clock"));
            }
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
        wall.describe(out, "wall");
        if (cpu != null) {
            cpu.describe(out, "cpu ");
        }
        out.printf(Locale.ROOT, "%-5s %5s %4s %10s %10s %7s%s%n", "bits", "batch", "rank", "wall ms", "pred ms", "err %",
                cpu == null ? "" : String.format(Locale.ROOT, " %10s %10s %7s", "cpu ms", "pred ms", "err %"));
        for (int i = 0; i < heldOut.size(); i++) {
            FittedCostModel.Row a = wall.flops().rows().get(i);
            String c = "";
            if (cpu != null) {
                FittedCostModel.Row b = cpu.flops().rows().get(i);
                c = String.format(Locale.ROOT, " %10.1f %10.1f %+7.1f", b.measuredSeconds() * 1e3, b.predictedSeconds() * 1e3,
                        b.errorPercent());
            }
            out.printf(Locale.ROOT, "%-5s %5d %4d %10.1f %10.1f %+7.1f%s%n", a.point().format().configName(),
                    a.point().batch(), a.point().rank(), a.measuredSeconds() * 1e3, a.predictedSeconds() * 1e3,
                    a.errorPercent(), c);
        }
        wall.summary(out, "wall");
        if (cpu != null) {
            cpu.summary(out, "cpu ");
        }
        if (profileFile != null) {
            out.println("wrote " + profileFile + " (fedpipe.node.profile of this node)");
        }
        out.flush();
        return 0;
    }

    /** The three fits of one clock (wall or thread CPU) and their held-out validation. */
    private record Clocked(FittedCostModel flopsFit, FittedCostModel tokensFit, MeasuredDevice device,
                           FittedCostModel.Validation flops, FittedCostModel.Validation tokens,
                           FittedCostModel.Validation planner) {

        static Clocked of(NodeProfile profile, List<NodeProfile.StepTiming> heldOut, NodeProfiler profiler) {
            FittedCostModel f = FittedCostModel.fit(profile, profiler.shape(), FittedCostModel.Form.FLOPS);
            FittedCostModel t = FittedCostModel.fit(profile, profiler.shape(), FittedCostModel.Form.TOKENS_RANK);
            MeasuredDevice d = MeasuredDevice.fit("measured", profile, profiler.shape(), 0);
            return new Clocked(f, t, d, f.validate(heldOut), t.validate(heldOut), d.validate(profiler.shape(), profile, heldOut));
        }

        void describe(PrintWriter out, String clock) {
            out.println(clock + " fit " + flopsFit);
            out.println(clock + " fit " + tokensFit);
            out.printf(Locale.ROOT, "%s planner preset: %.1f GFLOP/s effective fp32, h = %.0f tokens, slowdown int8 %.2f, nf4 %.2f%n",
                    clock, device.preset().fp32Tflops() * 1e3, device.halfUtilizationTokens(),
                    device.preset().slowdown().get(QuantFormat.INT8), device.preset().slowdown().get(QuantFormat.NF4));
        }

        void summary(PrintWriter out, String clock) {
            out.printf(Locale.ROOT, "%s max |error| on held-out configs: FLOPS fit %.1f%% (table), TOKENS_RANK fit %.1f%%, "
                    + "planner preset %.1f%%%n", clock, flops.maxAbsErrorPercent(), tokens.maxAbsErrorPercent(),
                    planner.maxAbsErrorPercent());
        }

        void write(ObjectMapper mapper, ObjectNode o) {
            ArrayNode fits = o.putArray("fits");
            for (var pair : List.of(List.of(flopsFit, flops), List.of(tokensFit, tokens))) {
                FittedCostModel fit = (FittedCostModel) pair.get(0);
                FittedCostModel.Validation v = (FittedCostModel.Validation) pair.get(1);
                ObjectNode n = fits.addObject();
                n.put("formula", fit.form().formula());
                for (QuantFormat q : fit.formats()) {
                    n.set(q.configName(), mapper.valueToTree(fit.coefficients(q)));
                }
                n.set("validation", mapper.valueToTree(v.rows()));
                n.put("max_abs_error_pct", v.maxAbsErrorPercent());
            }
            o.set("planner_preset", mapper.valueToTree(device.preset()));
            o.set("planner_preset_validation", mapper.valueToTree(planner.rows()));
            o.put("planner_preset_max_abs_error_pct", planner.maxAbsErrorPercent());
        }
    }
}
