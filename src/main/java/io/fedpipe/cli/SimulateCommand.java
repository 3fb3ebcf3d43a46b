package io.fedpipe.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.runtime.TrainerSettings;
import io.fedpipe.simulation.ExperimentRunner;
import io.fedpipe.simulation.Experiment;
import io.fedpipe.simulation.RoundReport;
import io.fedpipe.simulation.RoundScores;
import io.fedpipe.round.VirtualClock;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fedpipe simulate}: one experiment file run through the in-process simulator, printing the
 * global model's metrics after each round. Round times come from the {@link VirtualClock} and are
 * labelled emulated; bytes are the float32 payloads really exchanged, summed over the nodes.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = "Run one federated configuration (an experiment file) in one process and print per-round metrics.")
final class SimulateCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "EXPERIMENT", description = "Experiment file (HOCON), e.g. experiments/wordnet-hetero-fedpipe.conf.")
    Path experiment;

    @Option(names = "--json", description = "Print one JSON object per round, one per line.")
    boolean json;

    @Option(names = "--threads", defaultValue = "-1",
            description = "Intra-op threads (default: fedpipe.trainer.threads of the config; 0 = all cores).")
    int threads;

    @Spec
    CommandSpec command;

    @Override
    public Integer call() throws IOException {
        Experiment spec = Experiment.read(experiment);
        TrainerSettings settings = TrainerSettings.fromConfig(TrainerSettings.load(null));
        int intraOp = threads < 0 ? settings.effectiveThreads() : threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        EngineSetup.start(intraOp);
        ExperimentRunner.Result result;
        try (NDManager manager = NDManager.newBaseManager(settings.resolveDevice())) {
            // Progress on stderr, so stdout stays the table or clean JSON lines.
            PrintWriter err = command.commandLine().getErr();
            result = ExperimentRunner.run(spec, manager, r -> {
                err.println(progressLine(r));
                err.flush();
            });
        }
        PrintWriter out = command.commandLine().getOut();
        if (json) {
            ObjectMapper mapper = new ObjectMapper();
            for (RoundReport r : result.reports()) {
                out.println(mapper.writeValueAsString(row(spec, experiment.getFileName().toString(), r)));
            }
            ExperimentRunner.GenerationOutcome g = result.generation();
            if (g != null) {
                out.println(mapper.writeValueAsString(finalRow(spec, experiment.getFileName().toString(), g)));
            }
        } else {
            table(out, spec, result);
        }
        out.flush();
        return 0;
    }

    /**
     * The JSON line of one round: the table's columns, rejections and failures as counts, and per
     * node its plan, traffic, measured compute, emulated time and measured peak memory.
     */
    static Map<String, Object> row(Experiment spec, String experiment, RoundReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("experiment", experiment);
        m.put("method", spec.job().method());
        m.put("setting", spec.job().setting());
        m.put("round", r.round());
        if (decoder(r)) {
            // A causal-LM job has no accuracy: its scores are the validation loss and the generation metrics.
            r.metrics().forEach((k, v) -> m.put(camel(k), v));
        } else {
            m.put("accuracy", r.accuracy());
            m.put("macroF1", r.macroF1());
        }
        m.put("time", VirtualClock.LABEL);
        m.put("roundSeconds", r.emulatedRoundSeconds());
        m.put("elapsedSeconds", r.emulatedElapsedSeconds());
        m.put("bytesUp", bytesUp(r));
        m.put("bytesDown", bytesDown(r));
        m.put("rejected", r.rejected().size());
        if (r.aggregation() != null) {
            var a = r.aggregation();
            Map<String, Object> agg = new LinkedHashMap<>();
            agg.put("meanErrorVsExact", a.meanErrorVsExact());
            agg.put("maxErrorVsExact", a.maxErrorVsExact());
            agg.put("maxGlobalRank", a.maxGlobalRank());
            agg.put("meanGlobalRank", a.meanGlobalRank());
            Map<String, Double> segments = new LinkedHashMap<>();
            a.segmentEnergyShare().forEach((s, v) -> segments.put(s.toString(), v));
            agg.put("segmentEnergyShare", segments);
            agg.put("aggregationMillis", a.aggregationMillis());
            agg.put("combineMillis", a.combineMillis());
            m.put("aggregation", agg);
        }
        m.put("failures", r.failures().size());
        Map<String, Object> nodes = new LinkedHashMap<>();
        r.nodes().forEach((id, n) -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("bits", n.plan().bits());
            x.put("batch", n.plan().batchSize());
            x.put("steps", n.plan().steps());
            x.put("rank", n.plan().ranks().values().stream().mapToInt(Integer::intValue).max().orElse(0));
            x.put("matrices", n.plan().ranks().size());
            x.put("trainableParameters", n.trainableParameters());
            x.put("bytesUp", n.bytesUp());
            x.put("bytesDown", n.bytesDown());
            x.put("computeSeconds", n.measuredComputeSeconds());
            x.put("setupSeconds", n.setupSeconds());
            x.put("emulatedSeconds", n.emulatedSeconds());
            x.put("peakMemoryBytes", n.peakMemoryBytes());
            x.put("lastLoss", Double.isFinite(n.lastLoss()) ? n.lastLoss() : null);
            if (n.validation().examples() > 0) {
                x.put("validationLoss", n.validation().loss());
                x.put("validationExamples", n.validation().examples());
            }
            nodes.put(id, x);
        });
        m.put("nodes", nodes);
        return m;
    }

    /** A causal-LM job's last JSON line: its test-set scores, fine-tuned and base ({@code base_} prefix). */
    static Map<String, Object> finalRow(Experiment spec, String experiment, ExperimentRunner.GenerationOutcome g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("experiment", experiment);
        m.put("method", spec.job().method());
        m.put("setting", spec.job().setting());
        m.put("time", VirtualClock.LABEL);
        Map<String, Double> scores = new LinkedHashMap<>();
        scores.put("prompts", (double) g.prompts());
        scores.put("bleu", g.tuned().bleu());
        scores.put("nist", g.tuned().nist());
        scores.put("meteor", g.tuned().meteor());
        scores.put("rouge_l", g.tuned().rougeL());
        scores.put("cider", g.tuned().cider());
        scores.put("base_bleu", g.base().bleu());
        scores.put("base_nist", g.base().nist());
        scores.put("base_meteor", g.base().meteor());
        scores.put("base_rouge_l", g.base().rougeL());
        scores.put("base_cider", g.base().cider());
        m.put("final", scores);
        return m;
    }

    /** Whether the round is a causal-LM job's (scored by validation loss, not accuracy). */
    static boolean decoder(RoundReport r) {
        return r.metrics().containsKey(RoundScores.VALIDATION_LOSS);
    }

    /** {@code validation_loss} → {@code validationLoss}, as the JSON lines name fields. */
    static String camel(String snake) {
        StringBuilder b = new StringBuilder();
        boolean up = false;
        for (char c : snake.toCharArray()) {
            if (c == '_') {
                up = true;
            } else {
                b.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return b.toString();
    }

    /** One progress line on stderr: accuracy, or a decoder's loss, perplexity and BLEU of the round's prompts. */
    static String progressLine(RoundReport r) {
        if (!decoder(r)) {
            return String.format(Locale.ROOT, "round %d: accuracy %.4f, emulated elapsed %.1f s", r.round(),
                    r.accuracy(), r.emulatedElapsedSeconds());
        }
        StringBuilder nodes = new StringBuilder();
        r.nodes().forEach((id, n) -> nodes.append(String.format(Locale.ROOT, " %s=%.3f", id,
                n.validation().loss())));
        return String.format(Locale.ROOT, "round %d: validation loss %.4f (ppl %.2f), BLEU %.4f, emulated elapsed"
                + " %.1f s%s", r.round(), r.metric(RoundScores.VALIDATION_LOSS), r.metric(RoundScores.PERPLEXITY),
                r.metric(RoundScores.BLEU), r.emulatedElapsedSeconds(),
                nodes.length() == 0 ? "" : "; node validation loss" + nodes);
    }

    private static long bytesUp(RoundReport r) {
        return r.nodes().values().stream().mapToLong(RoundReport.NodeReport::bytesUp).sum();
    }

    private static long bytesDown(RoundReport r) {
        return r.nodes().values().stream().mapToLong(RoundReport.NodeReport::bytesDown).sum();
    }

    private static void table(PrintWriter out, Experiment spec, ExperimentRunner.Result result) {
        if (result.generation() != null || result.classes() == 0) {
            decoderTable(out, spec, result);
            return;
        }
        out.printf(Locale.ROOT, "model %s, task %s (%d classes), strategy %s, partition %s, %d nodes with %s training"
                + " examples, %d validation examples%n", spec.job().model(), spec.job().task(), result.classes(),
                spec.job().strategy(), spec.job().data().partitionLabel(), spec.nodes().size(), result.nodeExamples(),
                result.validationExamples());
        for (ExperimentRunner.PlanRecord p : result.plans()) {
            out.printf(Locale.ROOT, "before round %d, %d matrices selected: %s%n", p.beforeRound(), p.selected().size(),
                    p.selected());
            out.print(p.plan().table());
        }
        String label = VirtualClock.LABEL;
        out.printf(Locale.ROOT, "%5s  %8s  %8s  %18s  %20s  %8s  %8s%n", "round", "accuracy", "macro-F1",
                "round s (" + label + ")", "elapsed s (" + label + ")", "MB up", "MB down");
        for (RoundReport r : result.reports()) {
            out.printf(Locale.ROOT, "%5d  %8.4f  %8.4f  %18.2f  %20.2f  %8.3f  %8.3f%n", r.round(), r.accuracy(),
                    r.macroF1(), r.emulatedRoundSeconds(), r.emulatedElapsedSeconds(), bytesUp(r) / 1e6,
                    bytesDown(r) / 1e6);
            r.rejected().forEach(x -> out.printf(Locale.ROOT, "       rejected %s %s: %s%n", x.nodeId(), x.item(), x.reason()));
            r.failures().forEach(f -> out.printf(Locale.ROOT, "       failed %s: %s%n", f.nodeId(), f.reason()));
        }
    }

    private static void decoderTable(PrintWriter out, Experiment spec, ExperimentRunner.Result result) {
        out.printf(Locale.ROOT, "model %s, task %s, strategy %s, partition %s, %d nodes with %s training sequences,"
                + " %d validation sequences%n", spec.job().model(), spec.job().task(), spec.job().strategy(),
                spec.job().data().partitionLabel(), spec.nodes().size(), result.nodeExamples(),
                result.validationExamples());
        for (ExperimentRunner.PlanRecord p : result.plans()) {
            out.printf(Locale.ROOT, "before round %d, %d matrices selected: %s%n", p.beforeRound(), p.selected().size(),
                    p.selected());
            out.print(p.plan().table());
        }
        String label = VirtualClock.LABEL;
        out.printf(Locale.ROOT, "%5s  %9s  %8s  %7s  %18s  %20s  %8s  %8s%n", "round", "val loss", "ppl", "BLEU",
                "round s (" + label + ")", "elapsed s (" + label + ")", "MB up", "MB down");
        for (RoundReport r : result.reports()) {
            out.printf(Locale.ROOT, "%5d  %9.4f  %8.2f  %7.4f  %18.2f  %20.2f  %8.3f  %8.3f%n", r.round(),
                    r.metric(RoundScores.VALIDATION_LOSS), r.metric(RoundScores.PERPLEXITY), r.metric(RoundScores.BLEU),
                    r.emulatedRoundSeconds(), r.emulatedElapsedSeconds(), bytesUp(r) / 1e6, bytesDown(r) / 1e6);
            if (r.aggregation() != null) {
                out.printf(Locale.ROOT, "       aggregation: %s%n", r.aggregation().summaryLine());
            }
            r.rejected().forEach(x -> out.printf(Locale.ROOT, "       rejected %s %s: %s%n", x.nodeId(), x.item(), x.reason()));
            r.failures().forEach(f -> out.printf(Locale.ROOT, "       failed %s: %s%n", f.nodeId(), f.reason()));
        }
        ExperimentRunner.GenerationOutcome g = result.generation();
        if (g != null) {
            out.printf(Locale.ROOT, "final decoding of %d test prompts (%.1f s):%n", g.prompts(), g.decodeSeconds());
            out.printf(Locale.ROOT, "  %-10s  BLEU %.4f  NIST %.4f  METEOR %.4f  ROUGE-L %.4f  CIDEr %.4f%n", "base",
                    g.base().bleu(), g.base().nist(), g.base().meteor(), g.base().rougeL(), g.base().cider());
            out.printf(Locale.ROOT, "  %-10s  BLEU %.4f  NIST %.4f  METEOR %.4f  ROUGE-L %.4f  CIDEr %.4f%n",
                    "fine-tuned", g.tuned().bleu(), g.tuned().nist(), g.tuned().meteor(), g.tuned().rougeL(),
                    g.tuned().cider());
            for (ExperimentRunner.Example e : g.examples()) {
                out.printf(Locale.ROOT, "  MR: %s%n    before: %s%n    after:  %s%n", e.prompt(), e.before(), e.after());
            }
        }
    }
}
