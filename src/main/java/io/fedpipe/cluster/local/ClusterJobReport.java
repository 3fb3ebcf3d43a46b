package io.fedpipe.cluster.local;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.job.JobSpec;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.data.ClassificationTasks;
import io.fedpipe.data.DatasetSplits;
import io.fedpipe.eval.ClassificationMetrics;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.core.HostTensor;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.report.LinePlot;
import io.fedpipe.local.AdaptedClassifiers;
import io.fedpipe.round.GlobalModel;
import io.fedpipe.tokenize.TextTokenizer;
import io.fedpipe.train.FineTuneExport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a finished cluster job leaves behind: the global model merged into the base
 * ({@code merged/}, Hugging Face layout) and as adapters ({@code adapters/}, PEFT layout), its
 * accuracy and macro-F1 on the job's validation split, {@code report.md} and {@code report.json}
 * (the plan per node, per round the time and each node's compute and bytes, the final scores),
 * and {@code round-times.png} (each node's time per round).
 */
public final class ClusterJobReport {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The validation scores of the merged global model. */
    public record Scores(int examples, double accuracy, double macroF1, double majorityBaseline) {}

    /** What {@code report.json} holds. */
    public record Report(String jobId, String model, String task, String strategy, int roundsDone, double wallSeconds,
            List<GatewayProtocol.PlanRow> plan, List<String> selected, List<GatewayProtocol.Excluded> excluded,
            List<GatewayProtocol.RoundMetrics> rounds, List<GatewayProtocol.PlanChange> planChanges,
            Map<String, Map<String, Object>> nodes, long totalBytes, long adapterFloat32Bytes, Scores scores) {}

    private ClusterJobReport() {}

    /**
     * Merges, evaluates and writes everything under {@code out}.
     *
     * @param job         the job as submitted (model, task, limits, seed, α)
     * @param status      its final status (plan, rounds)
     * @param global      its global model from the gateway
     * @param nodes       the emulated resources per node, for the report
     * @param wallSeconds wall time from launching the nodes to the job's end
     */
    public static Report write(Path out, JobSpec job, GatewayProtocol.JobStatus status,
            GatewayProtocol.GlobalModel global, List<LocalClusterLayout.NodeSpec> nodes, double wallSeconds,
            NDManager manager) throws IOException {
        if (global.adapters().isEmpty()) {
            throw new IllegalStateException("job " + job.jobId() + " has no global adapters to merge");
        }
        Files.createDirectories(out);
        DatasetSplits splits = ClassificationTasks.load(job.task(), job.seed());
        ClassificationDataset validation = job.limitValidation() > 0
                ? splits.validation().head(job.limitValidation()) : splits.validation();
        List<String> labels = splits.train().labels();

        // Each global adapter is at the PEFT scale α/r of its own rank, so LoraConfig(ranks, α) applies it unchanged.
        Map<MatrixId, Integer> ranks = new TreeMap<>();
        Map<MatrixId, PeftAdapters.Adapter> adapters = new TreeMap<>();
        LoraConfig lora;
        {
            global.adapters().forEach((id, a) -> ranks.put(id, a.rank()));
            lora = new LoraConfig(ranks, job.alpha(), 0f);
            for (Map.Entry<MatrixId, ScaledAdapter> e : new TreeMap<>(global.adapters()).entrySet()) {
                adapters.put(e.getKey(), e.getValue().withScale(lora.scale(e.getKey())).adapter());
            }
        }
        Map<String, HostTensor> head = new LinkedHashMap<>();
        head.put(AdaptedClassifiers.HEAD_WEIGHT, required(global.dense(), AdaptedClassifiers.HEAD_WEIGHT));
        head.put(AdaptedClassifiers.HEAD_BIAS, required(global.dense(), AdaptedClassifiers.HEAD_BIAS));
        FineTuneExport.writeClassifier(out.resolve("merged"), out.resolve("adapters"), job.model(), adapters, head, lora,
                labels);

        TransformerWeights base = PretrainedModels.load(job.model());
        ClassificationMetrics m;
        try (TextTokenizer tokenizer = TextTokenizer.miniLm(job.maxLength(), TextTokenizer.Overflow.TRUNCATE)) {
            AdaptedClassifiers models = new AdaptedClassifiers(base, tokenizer, labels.size(), job.alpha(), job.seed());
            m = models.evaluate(manager, new GlobalModel(global.roundsDone(), global.adapters(), global.dense(), Map.of()),
                    validation);
        }
        Scores scores = new Scores(validation.size(), m.accuracy(), m.macroF1(),
                ClassificationMetrics.majorityClassFraction(validation.labelIndices(), validation.numLabels()));

        Map<String, Map<String, Object>> nodeInfo = new LinkedHashMap<>();
        for (LocalClusterLayout.NodeSpec n : nodes) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("roles", n.roles().stream().map(r -> r.key()).sorted().toList());
            info.put("memoryBudgetBytes", n.memoryBytes());
            info.put("uplinkMbps", n.uplinkMbps());
            info.put("downlinkMbps", n.downlinkMbps());
            info.put("computeScale", n.computeScale());
            nodeInfo.put(n.name(), info);
        }
        long total = status.history().stream().flatMap(r -> r.nodes().stream())
                .mapToLong(n -> n.bytesUp() + n.bytesDown()).sum();
        long raw = adapters.values().stream().mapToLong(a -> 4L * (a.a().data().length + a.b().data().length)).sum();
        Report report = new Report(job.jobId(), job.model(), job.task(), job.strategy(), global.roundsDone(), wallSeconds,
                status.plan(), status.selected(), status.excluded(), status.history(), status.planChanges(), nodeInfo,
                total, raw, scores);
        JSON.writeValue(out.resolve("report.json").toFile(), report);
        Files.writeString(out.resolve("report.md"), markdown(report), StandardCharsets.UTF_8);
        roundTimes(report).write(out.resolve("round-times.png"));
        return report;
    }

    /** What a causal-LM job's {@code report.json} holds: no accuracy; the test-set scores the cluster measured. */
    public record DecoderReport(String jobId, String model, String task, String strategy, int roundsDone,
            double wallSeconds, List<GatewayProtocol.PlanRow> plan, List<String> selected,
            List<GatewayProtocol.Excluded> excluded, List<GatewayProtocol.RoundMetrics> rounds,
            List<GatewayProtocol.PlanChange> planChanges, Map<String, Map<String, Object>> nodes, long totalBytes,
            long adapterFloat32Bytes, GatewayProtocol.GenerationEvaluation evaluation) {}

    /**
     * A finished causal-LM job: the global adapters merged into the unquantized base
     * ({@code merged/}, the base's own Hugging Face layout and dtype) and as PEFT ({@code adapters/}),
     * {@code report.md}/{@code report.json} with the plan, rounds, bytes and the test-set scores of
     * the base and the fine-tuned model (from {@code status.evaluation()}), and two plots.
     */
    public static DecoderReport writeDecoder(Path out, JobSpec job, GatewayProtocol.JobStatus status,
            GatewayProtocol.GlobalModel global, List<LocalClusterLayout.NodeSpec> nodes, double wallSeconds)
            throws IOException {
        if (global.adapters().isEmpty()) {
            throw new IllegalStateException("job " + job.jobId() + " has no global adapters to merge");
        }
        Files.createDirectories(out);
        Map<MatrixId, Integer> ranks = new TreeMap<>();
        global.adapters().forEach((id, a) -> ranks.put(id, a.rank()));
        LoraConfig lora = new LoraConfig(ranks, job.alpha(), 0f);
        Map<MatrixId, PeftAdapters.Adapter> adapters = new TreeMap<>();
        global.adapters().forEach((id, a) -> adapters.put(id, a.withScale(lora.scale(id)).adapter()));
        Path source = PretrainedModels.directoryOf(job.model()).orElseThrow();
        io.fedpipe.train.CausalLmExport.write(out, source, job.model(), PretrainedModels.load(job.model()), adapters,
                lora);
        Path peft = out.resolve("adapters");
        if (Files.isDirectory(peft)) {
            try (var files = Files.walk(peft)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.move(out.resolve("adapter"), peft);
        long total = status.history().stream().flatMap(r -> r.nodes().stream())
                .mapToLong(n -> n.bytesUp() + n.bytesDown()).sum();
        long raw = adapters.values().stream().mapToLong(a -> 4L * (a.a().data().length + a.b().data().length)).sum();
        DecoderReport report = new DecoderReport(job.jobId(), job.model(), job.task(), job.strategy(),
                global.roundsDone(), wallSeconds, status.plan(), status.selected(), status.excluded(), status.history(),
                status.planChanges(), nodeInfo(nodes), total, raw, status.evaluation());
        JSON.writeValue(out.resolve("report.json").toFile(), report);
        Report times = new Report(job.jobId(), job.model(), job.task(), job.strategy(), global.roundsDone(),
                wallSeconds, status.plan(), status.selected(), status.excluded(), status.history(), status.planChanges(),
                report.nodes(), total, raw, null);
        Files.writeString(out.resolve("report.md"), decoderMarkdown(report, markdownPlan(times)), StandardCharsets.UTF_8);
        roundTimes(times).write(out.resolve("round-times.png"));
        validationLoss(report).write(out.resolve("validation-loss.png"));
        return report;
    }

    private static Map<String, Map<String, Object>> nodeInfo(List<LocalClusterLayout.NodeSpec> nodes) {
        Map<String, Map<String, Object>> nodeInfo = new LinkedHashMap<>();
        for (LocalClusterLayout.NodeSpec n : nodes) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("roles", n.roles().stream().map(r -> r.key()).sorted().toList());
            info.put("memoryBudgetBytes", n.memoryBytes());
            info.put("uplinkMbps", n.uplinkMbps());
            info.put("downlinkMbps", n.downlinkMbps());
            info.put("computeScale", n.computeScale());
            nodeInfo.put(n.name(), info);
        }
        return nodeInfo;
    }

    /** A generation on one line (a base model's output may span several). */
    public static String oneLine(String text) {
        return text.replace("\r", " ").replace("\n", " ⏎ ").strip();
    }

    /** Each node's local validation loss per round (its trained model on its own held-out pairs). */
    static LinePlot validationLoss(DecoderReport r) {
        Map<String, List<double[]>> points = new TreeMap<>();
        double max = 0;
        for (GatewayProtocol.RoundMetrics round : r.rounds()) {
            for (GatewayProtocol.NodeMetrics n : round.nodes()) {
                if (n.validationExamples() > 0 && Double.isFinite(n.validationLoss())) {
                    points.computeIfAbsent(n.nodeId(), k -> new ArrayList<>())
                            .add(new double[] {round.round(), n.validationLoss()});
                    max = Math.max(max, n.validationLoss());
                }
            }
        }
        List<LinePlot.Series> series = new ArrayList<>();
        points.forEach((name, p) -> series.add(new LinePlot.Series(name, p.stream().mapToDouble(x -> x[0]).toArray(),
                p.stream().mapToDouble(x -> x[1]).toArray())));
        return new LinePlot("Local validation loss per node (" + r.jobId() + ")", "round", "loss per token",
                Math.max(1, max * 1.1), series, Double.NaN, "");
    }

    /** The report's plan and rounds sections (shared with the classifier's report). */
    private static String markdownPlan(Report r) {
        String all = markdown(r);
        int from = all.indexOf("## Nodes");
        return from < 0 ? all : all.substring(from);
    }

    static String decoderMarkdown(DecoderReport r, String planAndRounds) {
        StringBuilder b = new StringBuilder();
        String nl = "\n";
        b.append("# FedPipe demo: ").append(r.jobId()).append(nl).append(nl);
        b.append(String.format(Locale.ROOT, "%s on %s, strategy %s, %d rounds, %.0f s from launching the nodes to the"
                + " job's end.%n%n", r.model(), r.task(), r.strategy(), r.roundsDone(), r.wallSeconds()));
        GatewayProtocol.GenerationEvaluation e = r.evaluation();
        b.append(String.format(Locale.ROOT, "## Test set: %d prompts, decoded on %s (%s)%n%n", e.prompts(), e.nodeId(),
                e.decoding()));
        b.append("| model | BLEU | NIST | METEOR | ROUGE-L | CIDEr |").append(nl).append("|---|---|---|---|---|---|")
                .append(nl);
        for (var m : List.of(Map.entry("base (no fine-tuning)", e.base()), Map.entry("fine-tuned (merged)", e.tuned()))) {
            var s = m.getValue();
            b.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.4f | %.4f | %.4f |%n", m.getKey(), s.get("bleu"),
                    s.get("nist"), s.get("meteor"), s.get("rouge_l"), s.get("cider")));
        }
        b.append(nl).append("## Example generations").append(nl).append(nl);
        for (GatewayProtocol.GenerationSample x : e.examples()) {
            b.append("- **MR:** `").append(x.prompt()).append("`").append(nl);
            b.append("  - before: ").append(oneLine(x.before())).append(nl);
            b.append("  - after: ").append(oneLine(x.after())).append(nl);
            b.append("  - a reference: ").append(x.reference()).append(nl);
        }
        b.append(nl).append("## Local validation loss per round (each node on its own held-out pairs)").append(nl)
                .append(nl).append("| round | mean over nodes | per node |").append(nl).append("|---|---|---|").append(nl);
        for (GatewayProtocol.RoundMetrics round : r.rounds()) {
            StringBuilder per = new StringBuilder();
            round.nodes().forEach(n -> per.append(String.format(Locale.ROOT, "%s %.4f ", n.nodeId(), n.validationLoss())));
            b.append(String.format(Locale.ROOT, "| %d | %.4f | %s|%n", round.round(), round.validationLoss(), per));
        }
        b.append(nl).append(planAndRounds);
        b.append(nl).append("Files: merged/ (Hugging Face layout, adapters folded into the unquantized base), adapters/"
                + " (PEFT), validation-loss.png, round-times.png. BLEU per round is not measured on the cluster (it"
                + " needs a decode of the global model every round); `./fedpipe simulate` reports it.").append(nl);
        return b.toString();
    }

    private static HostTensor required(Map<String, HostTensor> dense, String name) {
        HostTensor t = dense.get(name);
        if (t == null) {
            throw new IllegalStateException("the global model has no " + name + " (the classifier head)");
        }
        return t;
    }

    /** Each node's wall time for its training per round (its measured compute plus the emulated slowdown). */
    static LinePlot roundTimes(Report r) {
        Map<String, List<double[]>> points = new TreeMap<>();
        double max = 0;
        for (GatewayProtocol.RoundMetrics round : r.rounds()) {
            for (GatewayProtocol.NodeMetrics n : round.nodes()) {
                points.computeIfAbsent(n.nodeId(), k -> new ArrayList<>()).add(new double[] {round.round(), n.trainSeconds()});
                max = Math.max(max, n.trainSeconds());
            }
            points.computeIfAbsent("round (wall)", k -> new ArrayList<>()).add(new double[] {round.round(), round.roundSeconds()});
            max = Math.max(max, round.roundSeconds());
        }
        List<LinePlot.Series> series = new ArrayList<>();
        points.forEach((name, p) -> series.add(new LinePlot.Series(name, p.stream().mapToDouble(x -> x[0]).toArray(),
                p.stream().mapToDouble(x -> x[1]).toArray())));
        return new LinePlot("Time per round, per node (" + r.jobId() + ")", "round", "seconds", Math.max(1, max * 1.1),
                series, Double.NaN, "");
    }

    static String markdown(Report r) {
        StringBuilder b = new StringBuilder();
        String nl = "\n";
        b.append("# FedPipe demo: ").append(r.jobId()).append(nl).append(nl);
        b.append(String.format(Locale.ROOT, "%s on %s, strategy %s, %d rounds, %.0f s from launching the nodes to the job's end.%n%n",
                r.model(), r.task(), r.strategy(), r.roundsDone(), r.wallSeconds()));
        Scores s = r.scores();
        if (s != null) {
            b.append(String.format(Locale.ROOT,
                    "**Validation (%d examples, merged model): accuracy %.4f, macro-F1 %.4f** (majority class %.4f).%n%n",
                    s.examples(), s.accuracy(), s.macroF1(), s.majorityBaseline()));
        }
        b.append("## Nodes (emulated resources) and plan").append(nl).append(nl);
        b.append("| node | roles | memory budget | up/down Mbit/s | compute scale | bits | batch | ranks | steps | planned compute s |")
                .append(nl).append("|---|---|---|---|---|---|---|---|---|---|").append(nl);
        r.nodes().forEach((name, info) -> {
            GatewayProtocol.PlanRow row = r.plan().stream().filter(p -> p.nodeId().equals(name)).findFirst().orElse(null);
            b.append(String.format(Locale.ROOT, "| %s | %s | %.0f MiB | %s/%s | %s | %s | %s | %s | %s | %s |%n", name,
                    String.join(",", ((List<?>) info.get("roles")).stream().map(String::valueOf).toList()),
                    ((Long) info.get("memoryBudgetBytes")) / 1048576.0, info.get("uplinkMbps"), info.get("downlinkMbps"),
                    info.get("computeScale"), row == null ? "-" : row.bits(), row == null ? "-" : row.batch(),
                    row == null ? "-" : new TreeMap<>(row.ranks()).toString().replace(" ", ""),
                    row == null ? "-" : row.steps(),
                    row == null ? "-" : String.format(Locale.ROOT, "%.1f", row.plannedComputeSeconds())));
        });
        r.excluded().forEach(x -> b.append(nl).append("Excluded ").append(x.nodeId()).append(": ").append(x.reason()));
        b.append(nl).append(r.selected().size()).append(" matrices carry adapters: ").append(String.join(", ", r.selected()))
                .append(nl).append(nl);
        b.append("## Rounds").append(nl).append(nl);
        b.append("| round | wall s | node | train s | compute s | bytes up | bytes down | loss |").append(nl)
                .append("|---|---|---|---|---|---|---|---|").append(nl);
        for (GatewayProtocol.RoundMetrics round : r.rounds()) {
            for (GatewayProtocol.NodeMetrics n : round.nodes()) {
                b.append(String.format(Locale.ROOT, "| %d | %.1f | %s | %.1f | %.1f | %d | %d | %.4f |%n", round.round(),
                        round.roundSeconds(), n.nodeId(), n.trainSeconds(), n.computeSeconds(), n.bytesUp(),
                        n.bytesDown(), n.loss()));
            }
            round.failures().forEach(f -> b.append("| ").append(round.round()).append(" | | failure: ").append(f)
                    .append(" | | | | | |").append(nl));
        }
        r.planChanges().forEach(c -> b.append(nl).append("Re-planned before round ").append(c.beforeRound()).append(": ")
                .append(c.reason()).append(nl));
        b.append(nl).append(String.format(Locale.ROOT,
                "Total bytes exchanged: %d (%.1f MB); the final adapters' raw float32 size: %d bytes.%n", r.totalBytes(),
                r.totalBytes() / 1e6, r.adapterFloat32Bytes()));
        b.append(nl).append("Times, link speeds and compute scales are emulated on one machine (DESIGN.md §5); ")
                .append("bytes are the payloads really sent. Files: merged/ (Hugging Face layout), adapters/ (PEFT), ")
                .append("round-times.png.").append(nl);
        return b.toString();
    }
}
