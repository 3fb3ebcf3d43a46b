package io.fedpipe.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.bench.StepBenchmark;
import io.fedpipe.runtime.ChildJvm;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.quant.QuantFormat;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fedpipe bench step}: the LoRA training step's throughput, effective GFLOP/s, MFU and
 * peak memory per (bits, threads), each configuration in its own JVM; the GEMM peak is
 * measured with and without the oneMKL vendor shim so both are reported.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmarks. 'bench step': the MiniLM LoRA training step per bit-width and thread count.",
                "'bench profile': profile this node (step time per bits, batch, rank; memory per bits), fit its cost "
                        + "model and validate it on configurations not used for fitting.",
                "'bench memory': the planner's memory and cost models vs the measured peak RSS growth and step time "
                        + "of LoRA steps, one child JVM per (bits, batch, seq).",
                "'bench cluster': 3 node processes on loopback run a short job; per round the orchestration overhead "
                        + "(round time minus the slowest node's emulated compute and transfer) and the bytes on the wire "
                        + "vs the adapters' float32 size."})
final class BenchCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "What to benchmark: step, profile, memory or cluster")
    String what;

    @Option(names = "--out", description = "'bench cluster': output directory (node logs), default out/bench-cluster. "
            + "'bench profile': write the fitted profile to this JSON file, for a node's fedpipe.node.profile.")
    Path out;

    @Option(names = "--job", description = "The job of 'bench cluster'. Default: jobs/demo-wordnet.conf with 3 rounds.")
    Path job;

    @Option(names = "--rounds", description = "Rounds of the 'bench cluster' job. Default: 3")
    Integer rounds;

    @Option(names = "--model", defaultValue = "minilm-l6", description = "step: minilm-l6 (classifier step), or a decoder: fedpipe-lm-small, a GPT-2/Llama directory, llama-shape:CONFIG.json (random weights of that shape). Default: ${DEFAULT-VALUE}")
    String model;

    @Option(names = "--bits", defaultValue = "fp32,bf16,int8,nf4", split = ",",
            description = "Frozen base formats. Default: ${DEFAULT-VALUE}")
    List<String> bits;

    @Option(names = "--threads", split = ",", description = "Thread counts. Default: 1,2 (step); 1 (profile, one value)")
    List<Integer> threads;

    @Option(names = "--steps", description = "Timed steps per configuration (median reported). Default: 15 (step), 5 (profile)")
    Integer steps;

    @Option(names = "--seq", defaultValue = "64", description = "Tokens per example (profile). Default: ${DEFAULT-VALUE}")
    int seq;

    @Option(names = "--seqs", defaultValue = "64,128", split = ",", description = "memory: sequence lengths. Default: ${DEFAULT-VALUE}")
    List<Integer> seqs;

    @Option(names = "--batches", defaultValue = "4,8,16", split = ",", description = "memory: batch sizes. Default: ${DEFAULT-VALUE}")
    List<Integer> batches;

    @Spec
    CommandSpec spec;

    @Option(names = "--layerwise", defaultValue = "auto",
            description = "Per-block recompute: auto (on for quantized bases), true, false. Default: ${DEFAULT-VALUE}")
    String layerwise;

    @Option(names = "--json", description = "One JSON object per configuration, one per line.")
    boolean json;

    private final ObjectMapper mapper = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        if (what.equals("profile")) {
            List<Integer> t = threads == null ? List.of(1) : threads;
            if (t.size() != 1 || t.get(0) < 1) {
                throw new IllegalArgumentException("bench profile runs at one thread count, got --threads " + t);
            }
            return ProfileBench.run(spec.commandLine().getOut(), model, seq, t.get(0), steps == null ? 5 : steps, json,
                    out);
        }
        if (what.equals("memory")) {
            List<Integer> t = threads == null ? List.of(2) : threads;
            if (t.size() != 1 || t.get(0) < 1) {
                throw new IllegalArgumentException("bench memory runs at one thread count, got --threads " + t);
            }
            // --bits defaults to every format; memory's grid is the three the planner mostly chooses.
            List<String> formats = spec.commandLine().getParseResult().hasMatchedOption("--bits") ? bits
                    : List.of("fp32", "int8", "nf4");
            return MemoryBench.run(spec.commandLine().getOut(), model, formats, batches, seqs, t.get(0),
                    steps == null ? 3 : steps, json);
        }
        if (what.equals("cluster")) {
            return ClusterBench.run(spec.commandLine().getOut(), out != null ? out : Path.of("out/bench-cluster"), job != null ? job : DemoCommand.defaultJob("wordnet"),
                    rounds != null ? rounds : 3);
        }
        if (!what.equals("step")) {
            throw new IllegalArgumentException("unknown benchmark '" + what + "'; available: step, profile, memory, cluster");
        }
        List<Integer> threads = this.threads == null ? List.of(1, 2) : this.threads;
        int steps = this.steps == null ? 15 : this.steps;
        boolean decoder = !model.equalsIgnoreCase(PretrainedModels.MINILM_L6);
        if (decoder && !model.startsWith("llama-shape:") && PretrainedModels.directoryOf(model).isEmpty()) {
            throw new IllegalArgumentException("bench step measures minilm-l6, fedpipe-lm-small, a decoder directory or "
                    + "llama-shape:CONFIG.json, not '" + model + "'");
        }
        for (String b : bits) {
            QuantFormat.parse(b);
        }
        if (!List.of("auto", "true", "false").contains(layerwise)) {
            throw new IllegalArgumentException("--layerwise must be auto, true or false: " + layerwise);
        }
        Map<Integer, JsonNode> gemmDefault = new HashMap<>();
        Map<Integer, JsonNode> gemmTuned = new HashMap<>();
        for (int t : threads) {
            gemmTuned.put(t, child(false, "gemm", Integer.toString(t)));
            gemmDefault.put(t, child(true, "gemm", Integer.toString(t)));
        }
        List<ObjectNode> rows = new ArrayList<>();
        for (String b : bits) {
            for (int t : threads) {
                ObjectNode row = decoder
                        ? (ObjectNode) lmChild(model, b.toLowerCase(Locale.ROOT), Integer.toString(t),
                                Integer.toString(steps), layerwise)
                        : (ObjectNode) child(false, b.toLowerCase(Locale.ROOT), Integer.toString(t),
                                Integer.toString(steps), layerwise);
                double tuned = gemmTuned.get(t).get("gemm_gflops").asDouble();
                double plain = gemmDefault.get(t).get("gemm_gflops").asDouble();
                double peak = Math.max(tuned, plain);
                row.put("gemm_gflops", peak);
                row.put("gemm_gflops_mkl_shim", tuned);
                row.put("gemm_gflops_mkl_default", plain);
                row.put("mfu", row.get("effective_gflops").asDouble() / peak);
                rows.add(row);
                if (json) {
                    System.out.println(mapper.writeValueAsString(row));
                    System.out.flush();
                }
            }
        }
        if (!json) {
            printTable(rows);
        }
        return 0;
    }

    private JsonNode lmChild(String... args) throws IOException, InterruptedException {
        return run(ChildJvm.forMain(io.fedpipe.bench.CausalLmStepBenchmark.class).args(args)
                .jvmOptions("-Xmx4g", "-XX:+UseSerialGC", "-XX:MaxHeapFreeRatio=20", "-XX:MinHeapFreeRatio=5")
                .threads(Integer.parseInt(args[2])), args);
    }

    private JsonNode child(boolean withoutShim, String... args) throws IOException, InterruptedException {
        ChildJvm.Builder b = ChildJvm.forMain(StepBenchmark.class).args(args)
                .jvmOptions("-Xmx2g", "-XX:+UseSerialGC", "-XX:MaxHeapFreeRatio=20", "-XX:MinHeapFreeRatio=5")
                .threads(Integer.parseInt(args[1]));
        if (withoutShim) {
            b.withoutMklShim();
        }
        return run(b, args);
    }

    private JsonNode run(ChildJvm.Builder b, String... args) throws IOException, InterruptedException {
        Process p = b.processBuilder().redirectError(ProcessBuilder.Redirect.DISCARD).start();
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
            throw new IllegalStateException("benchmark child " + String.join(" ", args) + " failed with exit code " + code);
        }
        return mapper.readTree(result);
    }

    private static void printTable(List<ObjectNode> rows) {
        if (!rows.isEmpty() && rows.get(0).has("generate_tokens_per_s_kv_cache")) {
            System.out.printf(Locale.ROOT, "%s (%,d parameters), causal-LM LoRA step: batch 8 x 128 tokens, rank 8 on q,k,v,o%n",
                    rows.get(0).get("model").asText(), rows.get(0).get("parameters").asLong());
            System.out.printf(Locale.ROOT, "%-5s %3s %9s %8s %10s %9s %9s %6s %10s %12s %12s%n", "bits", "thr", "layerwise",
                    "step ms", "tokens/s", "eff GF/s", "GEMM GF/s", "MFU", "peak RSS", "gen tok/s KV", "gen no KV");
            for (ObjectNode r : rows) {
                System.out.printf(Locale.ROOT, "%-5s %3d %9s %8.1f %10.0f %9.1f %9.1f %5.1f%% %8.0fMB %12.1f %12.1f%n",
                        r.get("bits").asText(), r.get("threads").asInt(), r.get("layerwise").asBoolean(),
                        r.get("step_ms").asDouble(), r.get("tokens_per_s").asDouble(), r.get("effective_gflops").asDouble(),
                        r.get("gemm_gflops").asDouble(), 100 * r.get("mfu").asDouble(), r.get("peak_rss_bytes").asDouble() / 1e6,
                        r.get("generate_tokens_per_s_kv_cache").asDouble(), r.get("generate_tokens_per_s_no_cache").asDouble());
            }
            return;
        }
        System.out.printf(Locale.ROOT, "%-5s %3s %9s %8s %10s %9s %9s %6s %10s %10s%n", "bits", "thr", "layerwise",
                "step ms", "tokens/s", "eff GF/s", "GEMM GF/s", "MFU", "peak RSS", "step grow");
        for (ObjectNode r : rows) {
            System.out.printf(Locale.ROOT, "%-5s %3d %9s %8.1f %10.0f %9.1f %9.1f %5.1f%% %8.0fMB %8.0fMB%n",
                    r.get("bits").asText(), r.get("threads").asInt(), r.get("layerwise").asBoolean(),
                    r.get("step_ms").asDouble(), r.get("tokens_per_s").asDouble(), r.get("effective_gflops").asDouble(),
                    r.get("gemm_gflops").asDouble(), 100 * r.get("mfu").asDouble(), r.get("peak_rss_bytes").asDouble() / 1e6,
                    r.get("step_peak_growth_bytes").asDouble() / 1e6);
        }
        if (!rows.isEmpty()) {
            ObjectNode r = rows.get(0);
            System.out.printf(Locale.ROOT, "GEMM 1024^3 at %d threads: %.1f GFLOP/s with the MKL vendor shim, %.1f without%n",
                    r.get("threads").asInt(), r.get("gemm_gflops_mkl_shim").asDouble(), r.get("gemm_gflops_mkl_default").asDouble());
        }
    }
}
