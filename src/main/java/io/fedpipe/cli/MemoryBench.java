package io.fedpipe.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.bench.MemoryBenchmark;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.hf.HfConfigs;
import io.fedpipe.planning.CostModel;
import io.fedpipe.planning.DevicePreset;
import io.fedpipe.planning.MemoryModel;
import io.fedpipe.planning.ModelShape;
import io.fedpipe.planning.NodeSpec;
import io.fedpipe.quant.QuantFormat;
import io.fedpipe.runtime.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code fedpipe bench memory}: the planner's {@link MemoryModel} and {@link CostModel} against
 * measurements. Per (format, batch, seq) one fresh child JVM ({@link MemoryBenchmark}) measures
 * the peak RSS growth of LoRA steps over the idle model and the median step time; the table puts
 * the modelled adapters + activations (what the step adds on top of the loaded base) and the
 * {@code cpu-2core} preset's step time next to them, with relative errors
 * {@code (modelled − measured) / measured}.
 */
final class MemoryBench {

    private MemoryBench() {}

    /** One measured point with the model's figures. */
    record Point(QuantFormat format, int batch, int seq, long modelledBytes, long logitsBytes, long measuredBytes,
                 double predictedMs, double measuredMs, long modelledLinearBytes, long measuredLinearBytes) {
        double memoryError() {
            return (double) (modelledBytes - measuredBytes) / measuredBytes;
        }

        double timeError() {
            return (predictedMs - measuredMs) / measuredMs;
        }
    }

    static int run(PrintWriter out, String model, List<String> bits, List<Integer> batches, List<Integer> seqs, int threads,
                   int steps, boolean json) throws IOException, InterruptedException {
        ModelShape shape = ModelShape.of(model, config(model));
        DevicePreset device = DevicePreset.preset("cpu-2core");
        // The preset describes this machine at 2 threads; fewer threads get that share of it.
        NodeSpec node = new NodeSpec("this-machine", device, 1, threads / 2.0, 100, 100, 1);
        ObjectMapper mapper = new ObjectMapper();
        List<Point> points = new ArrayList<>();
        String loadBefore = loadAverage();
        for (String b : bits) {
            QuantFormat format = QuantFormat.parse(b);
            for (int seq : seqs) {
                for (int batch : batches) {
                    JsonNode r = child(mapper, model, format.configName(), Integer.toString(batch), Integer.toString(seq),
                            Integer.toString(threads), Integer.toString(steps));
                    long adapters = r.get("adapter_parameters").asLong();
                    MemoryModel.Breakdown m = MemoryModel.of(shape, device, format, batch, seq, adapters);
                    long linears = Math.round(shape.linearParameters() * MemoryModel.bytesPerParameter(format));
                    Point p = new Point(format, batch, seq, m.adapterBytes() + m.activationBytes(),
                            MemoryModel.logitsBytes(shape, batch, seq, device.floatBytes(format)),
                            r.get("step_peak_growth_bytes").asLong(),
                            CostModel.stepSeconds(shape, node, format, adapters, batch, seq) * 1e3,
                            r.get("step_ms").asDouble(), linears, r.get("frozen_linear_bytes").asLong());
                    points.add(p);
                    if (json) {
                        ObjectNode o = (ObjectNode) r;
                        o.put("modelled_growth_bytes", p.modelledBytes());
                        o.put("modelled_logits_bytes", p.logitsBytes());
                        o.put("memory_error", p.memoryError());
                        o.put("predicted_step_ms", p.predictedMs());
                        o.put("time_error", p.timeError());
                        o.put("modelled_linear_bytes", linears);
                        out.println(mapper.writeValueAsString(o));
                        out.flush();
                    }
                }
            }
        }
        if (!json) {
            print(out, shape, threads, points);
            // Other processes on the cores inflate step times and can change the allocator's peaks.
            out.printf(Locale.ROOT, "load average (1, 5, 15 min): %s at start, %s at end%n", loadBefore, loadAverage());
        }
        return 0;
    }

    private static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static TransformerConfig config(String model) throws IOException {
        if (model.equalsIgnoreCase(PretrainedModels.MINILM_L6)) {
            return TransformerConfig.miniLmL6();
        }
        Path file;
        if (model.startsWith("llama-shape:")) {
            file = Path.of(model.substring("llama-shape:".length()));
        } else {
            file = PretrainedModels.directoryOf(model).orElseThrow(() -> new IllegalArgumentException(
                    "bench memory measures minilm-l6, fedpipe-lm-small, a decoder directory or llama-shape:CONFIG.json, not '"
                            + model + "'")).resolve("config.json");
        }
        return HfConfigs.fromJson(new ObjectMapper().readTree(file.toFile()), file.toString());
    }

    private static JsonNode child(ObjectMapper mapper, String... args) throws IOException, InterruptedException {
        Process p = ChildJvm.forMain(MemoryBenchmark.class).args(args)
                .jvmOptions("-Xmx4g", "-XX:+UseSerialGC", "-XX:MaxHeapFreeRatio=20", "-XX:MinHeapFreeRatio=5")
                .threads(Integer.parseInt(args[4])).processBuilder().redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String result = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.startsWith("RESULT ")) {
                    result = line.substring("RESULT ".length());
                }
            }
        }
        int code = p.waitFor();
        if (code != 0 || result == null) {
            throw new IllegalStateException("memory benchmark child " + String.join(" ", args) + " failed with exit code " + code);
        }
        return mapper.readTree(result);
    }

    private static void print(PrintWriter out, ModelShape shape, int threads, List<Point> points) {
        out.printf(Locale.ROOT, "%s: LoRA r8 on q,k,v,o; growth = peak RSS over the idle model (adapters + activations); "
                + "time: cpu-2core preset at %d thread(s)%n", shape.name(), threads);
        out.printf(Locale.ROOT, "%-5s %5s %4s %10s %10s %7s %9s %9s %9s %7s%n", "bits", "batch", "seq", "model MB",
                "meas. MB", "error", "logits MB", "pred. ms", "meas. ms", "error");
        double memSum = 0;
        double memMax = 0;
        double timeSum = 0;
        double timeMax = 0;
        for (Point p : points) {
            out.printf(Locale.ROOT, "%-5s %5d %4d %10.1f %10.1f %+6.1f%% %9.1f %9.0f %9.0f %+6.1f%%%n",
                    p.format().configName(), p.batch(), p.seq(), p.modelledBytes() / 1e6, p.measuredBytes() / 1e6,
                    100 * p.memoryError(), p.logitsBytes() / 1e6, p.predictedMs(), p.measuredMs(), 100 * p.timeError());
            memSum += Math.abs(p.memoryError());
            memMax = Math.max(memMax, Math.abs(p.memoryError()));
            timeSum += Math.abs(p.timeError());
            timeMax = Math.max(timeMax, Math.abs(p.timeError()));
        }
        int n = points.size();
        out.printf(Locale.ROOT, "memory |error|: mean %.1f%%, max %.1f%%; step time |error|: mean %.1f%%, max %.1f%% (%d points)%n",
                100 * memSum / n, 100 * memMax, 100 * timeSum / n, 100 * timeMax, n);
        List<QuantFormat> seen = new ArrayList<>();
        for (Point p : points) {
            if (!seen.contains(p.format())) {
                seen.add(p.format());
                out.printf(Locale.ROOT, "base linears %s: modelled %.2f MB, measured %.2f MB (%+.1f%%)%n", p.format().configName(),
                        p.modelledLinearBytes() / 1e6, p.measuredLinearBytes() / 1e6,
                        100.0 * (p.modelledLinearBytes() - p.measuredLinearBytes()) / p.measuredLinearBytes());
            }
        }
    }
}
