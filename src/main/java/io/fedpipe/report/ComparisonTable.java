package io.fedpipe.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * A {@link MethodComparison} as text: the Markdown table that goes into BENCHMARKS.md, and JSON.
 * Every time column carries the comparison's time label in its header, so emulated seconds can
 * never be read as measured ones; MB are 10⁶ bytes.
 */
public final class ComparisonTable {

    private ComparisonTable() {}

    public static String markdown(MethodComparison c) {
        String t = String.format(Locale.ROOT, "%.2f", c.target());
        String label = "(" + c.time() + ")";
        List<String> header = List.of("setting", "method", "rounds", "final acc.", "final macro-F1", "best acc.",
                "time to acc. " + t + ", s " + label, "rounds to " + t, "speed-up vs best baseline " + label,
                "total time, s " + label, "trainable params, max node", "trainable params, all nodes",
                "MB up / round", "MB down / round", "peak MB per node");
        StringBuilder s = new StringBuilder();
        s.append(line(header));
        s.append(line(header.stream().map(h -> "---").toList()));
        for (MethodComparison.Row r : c.rows()) {
            s.append(line(List.of(r.setting(), r.method(), Integer.toString(r.rounds()),
                    f("%.4f", r.finalAccuracy()), f("%.4f", r.finalMacroF1()), f("%.4f", r.bestAccuracy()),
                    r.secondsToTarget().isPresent() ? f("%.1f", r.secondsToTarget().getAsDouble()) : "not reached",
                    r.roundsToTarget().isPresent() ? Integer.toString(r.roundsToTarget().getAsInt()) : "not reached",
                    speedup(r, c), f("%.1f", r.totalSeconds()), f("%,d", r.maxNodeTrainable()),
                    f("%,d", r.sumTrainable()), f("%.3f", r.meanBytesUp() / 1e6), f("%.3f", r.meanBytesDown() / 1e6),
                    peaks(r.peakMemoryMb()))));
        }
        s.append(System.lineSeparator());
        s.append("Target accuracy ").append(t).append("; times are ").append(c.time())
                .append(c.time().equals("emulated") ? " (virtual clock), not measured" : "")
                .append("; MB = 10⁶ bytes, means over rounds ≥ 1, summed over nodes; peak memory per node is its"
                        + " largest over the rounds (? = unknown).").append(System.lineSeparator());
        boolean bleu = c.runs().stream().anyMatch(r -> r.score().equals("bleu"));
        if (bleu) {
            s.append("For causal-LM runs \"acc.\" is the round score: BLEU of the greedy decoding of the job's"
                    + " round-prompts test MRs.").append(System.lineSeparator());
        }
        s.append(finalScores(c));
        return s.toString();
    }

    private static final List<String> METRICS = List.of("bleu", "nist", "meteor", "rouge_l", "cider");

    /**
     * The causal-LM runs' final test-set scores: one row per method, mean ± sample standard deviation
     * over its runs (seeds), and the base model's scores once. Empty when no run has any.
     */
    static String finalScores(MethodComparison c) {
        java.util.Map<String, List<RunLog>> byMethod = new java.util.LinkedHashMap<>();
        for (RunLog r : c.runs()) {
            if (!r.finalScores().isEmpty()) {
                byMethod.computeIfAbsent(r.setting() + " " + r.method(), k -> new java.util.ArrayList<>()).add(r);
            }
        }
        if (byMethod.isEmpty()) {
            return "";
        }
        StringBuilder s = new StringBuilder(System.lineSeparator());
        List<String> header = List.of("setting and method", "runs", "BLEU", "NIST", "METEOR", "ROUGE-L", "CIDEr",
                "test MRs");
        s.append(line(header));
        s.append(line(header.stream().map(h -> "---").toList()));
        RunLog any = byMethod.values().iterator().next().get(0);
        List<String> base = new java.util.ArrayList<>(List.of("base model (no fine-tuning)", "-"));
        METRICS.forEach(m -> base.add(f("%.4f", any.finalScores().getOrDefault("base_" + m, Double.NaN))));
        base.add(f("%.0f", any.finalScores().getOrDefault("prompts", Double.NaN)));
        s.append(line(base));
        byMethod.forEach((method, runs) -> {
            List<String> row = new java.util.ArrayList<>(List.of(method, Integer.toString(runs.size())));
            for (String m : METRICS) {
                double[] v = runs.stream().mapToDouble(r -> r.finalScores().getOrDefault(m, Double.NaN)).toArray();
                double mean = java.util.Arrays.stream(v).average().orElse(Double.NaN);
                double var = v.length < 2 ? Double.NaN : java.util.Arrays.stream(v).map(x -> (x - mean) * (x - mean))
                        .sum() / (v.length - 1);
                row.add(v.length < 2 ? f("%.4f", mean) : f("%.4f", mean) + " ± " + f("%.4f", Math.sqrt(var)));
            }
            row.add(f("%.0f", runs.get(0).finalScores().getOrDefault("prompts", Double.NaN)));
            s.append(line(row));
        });
        s.append(System.lineSeparator()).append("Final scores: the merged global model decodes the whole test set"
                + " (greedy unless the job says otherwise); mean ± sample standard deviation over the runs (seeds).")
                .append(System.lineSeparator());
        return s.toString();
    }

    /**
     * The rows as JSON, with the written figures' paths under {@code plots}; absent figures (not
     * reached, unknown memory) are {@code null}.
     */
    public static String json(MethodComparison c, List<Path> plots) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("target", c.target());
        root.put("time", c.time());
        ArrayNode files = root.putArray("plots");
        plots.forEach(p -> files.add(p.toString()));
        ArrayNode rows = root.putArray("rows");
        for (MethodComparison.Row r : c.rows()) {
            ObjectNode o = rows.addObject();
            o.put("setting", r.setting());
            o.put("method", r.method());
            o.put("source", r.source());
            o.put("rounds", r.rounds());
            o.put("finalAccuracy", r.finalAccuracy());
            o.put("finalMacroF1", r.finalMacroF1());
            o.put("bestAccuracy", r.bestAccuracy());
            put(o, "secondsToTarget", r.secondsToTarget());
            if (r.roundsToTarget().isPresent()) {
                o.put("roundsToTarget", r.roundsToTarget().getAsInt());
            } else {
                o.putNull("roundsToTarget");
            }
            put(o, "speedupVsBestBaseline", r.speedup());
            o.put("totalSeconds", r.totalSeconds());
            o.put("maxNodeTrainableParameters", r.maxNodeTrainable());
            o.put("sumTrainableParameters", r.sumTrainable());
            o.put("meanBytesUpPerRound", r.meanBytesUp());
            o.put("meanBytesDownPerRound", r.meanBytesDown());
            ObjectNode peaks = o.putObject("peakMemoryMb");
            r.peakMemoryMb().forEach((id, mb) -> {
                if (mb.isNaN()) {
                    peaks.putNull(id);
                } else {
                    peaks.put(id, mb);
                }
            });
        }
        try {
            return mapper.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("comparison is not serializable", e);
        }
    }

    private static String speedup(MethodComparison.Row r, MethodComparison c) {
        if (!r.method().equals(MethodComparison.FEDPIPE)) {
            return "—";
        }
        if (r.speedup().isPresent()) {
            return f("%.2f×", r.speedup().getAsDouble());
        }
        if (r.secondsToTarget().isEmpty()) {
            return "not reached";
        }
        boolean baselineReached = c.rows(r.setting()).stream()
                .anyMatch(o -> !o.method().equals(MethodComparison.FEDPIPE) && o.secondsToTarget().isPresent());
        return baselineReached ? "at start" : "no baseline reached";
    }

    private static String peaks(Map<String, Double> mb) {
        return mb.entrySet().stream().map(e -> e.getKey() + " " + (e.getValue().isNaN() ? "?" : f("%,.0f", e.getValue())))
                .collect(Collectors.joining(", "));
    }

    private static void put(ObjectNode o, String field, OptionalDouble v) {
        if (v.isPresent()) {
            o.put(field, v.getAsDouble());
        } else {
            o.putNull(field);
        }
    }

    private static String line(List<String> cells) {
        return "| " + String.join(" | ", cells) + " |" + System.lineSeparator();
    }

    private static String f(String format, Object value) {
        return String.format(Locale.ROOT, format, value);
    }
}
