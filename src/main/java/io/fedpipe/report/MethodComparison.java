package io.fedpipe.report;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * The method comparison of issue 3 §6: one {@link Row} per (setting, method), from one run log
 * each. Settings and methods keep the order in which their logs were given, so the table and the
 * plots follow the command line. Time-to-target is the elapsed time of the first evaluated round
 * whose accuracy reaches the target; FedPipe's speed-up is against the fastest other method of the
 * same setting that reached it too.
 *
 * @param target  the accuracy a method must reach, in (0, 1]
 * @param time    the label of every time figure: {@code emulated} or {@code measured}
 * @param rows    one per run, grouped by setting
 * @param runs    the logs the rows come from, in the same order (the plots draw their curves)
 */
public record MethodComparison(double target, String time, List<Row> rows, List<RunLog> runs) {

    /** The method whose speed-up is reported; every other method is a baseline. */
    public static final String FEDPIPE = "fedpipe";

    /**
     * One method in one setting.
     *
     * @param rounds               training rounds (round 0 not counted)
     * @param finalAccuracy        after the last round
     * @param secondsToTarget      elapsed seconds at the first round with accuracy ≥ target; empty if never
     * @param roundsToTarget       that round's number; empty if never
     * @param maxNodeTrainable     the largest node's trainable parameters in the last round
     * @param sumTrainable         trainable parameters summed over the nodes of the last round
     * @param meanBytesUp          per round (rounds ≥ 1), summed over the nodes
     * @param peakMemoryMb         per node id (sorted): the largest peak over the rounds in MB (10⁶ B);
     *                             NaN when the log never knew it
     * @param totalSeconds         elapsed after the last round
     * @param speedup              FedPipe only: best baseline time-to-target / FedPipe's, when both reached
     *                             the target (and FedPipe's time is above zero)
     */
    public record Row(String setting, String method, String source, int rounds, double finalAccuracy,
                      double finalMacroF1, double bestAccuracy, OptionalDouble secondsToTarget,
                      OptionalInt roundsToTarget, long maxNodeTrainable, long sumTrainable, double meanBytesUp,
                      double meanBytesDown, Map<String, Double> peakMemoryMb, double totalSeconds,
                      OptionalDouble speedup) {
        public Row {
            peakMemoryMb = Collections.unmodifiableMap(new TreeMap<>(peakMemoryMb));
        }

        /** Mean MB (10⁶ B) up plus down per round. */
        public double meanMbPerRound() {
            return (meanBytesUp + meanBytesDown) / 1e6;
        }
    }

    public MethodComparison {
        rows = List.copyOf(rows);
        runs = List.copyOf(runs);
    }

    /** Compares the given runs; one run per (setting, method), all with the same time label. */
    public static MethodComparison of(List<RunLog> runs, double target) throws RunLogFormatException {
        if (!(target > 0 && target <= 1)) {
            throw new IllegalArgumentException("target accuracy must be in (0, 1]: " + target);
        }
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no run logs to compare");
        }
        String time = runs.get(0).time();
        Map<String, Map<String, RunLog>> bySetting = new LinkedHashMap<>();
        for (RunLog run : runs) {
            if (!run.time().equals(time)) {
                throw new RunLogFormatException(run.source() + ": its times are " + run.time() + ", those of "
                        + runs.get(0).source() + " are " + time + "; they cannot share one time axis");
            }
            if (run.rounds().size() < 2) {
                throw new RunLogFormatException(run.source() + ": no training round after round 0");
            }
            RunLog same = bySetting.computeIfAbsent(run.setting(), s -> new LinkedHashMap<>()).putIfAbsent(run.method(), run);
            if (same != null) {
                throw new RunLogFormatException("two runs of method " + run.method() + " in setting " + run.setting()
                        + ": " + same.source() + " and " + run.source());
            }
        }
        List<Row> rows = new ArrayList<>();
        List<RunLog> ordered = new ArrayList<>();
        for (Map<String, RunLog> methods : bySetting.values()) {
            OptionalDouble bestBaseline = methods.values().stream().filter(r -> !r.method().equals(FEDPIPE))
                    .map(r -> secondsToTarget(r, target)).filter(OptionalDouble::isPresent)
                    .mapToDouble(OptionalDouble::getAsDouble).min();
            for (RunLog run : methods.values()) {
                OptionalDouble own = secondsToTarget(run, target);
                OptionalDouble speedup = run.method().equals(FEDPIPE) && own.isPresent() && own.getAsDouble() > 0
                        && bestBaseline.isPresent()
                        ? OptionalDouble.of(bestBaseline.getAsDouble() / own.getAsDouble()) : OptionalDouble.empty();
                rows.add(row(run, target, speedup));
                ordered.add(run);
            }
        }
        return new MethodComparison(target, time, rows, ordered);
    }

    /** The settings, in the order of the rows. */
    public List<String> settings() {
        return List.copyOf(new LinkedHashSet<>(rows.stream().map(Row::setting).toList()));
    }

    public List<Row> rows(String setting) {
        return rows.stream().filter(r -> r.setting().equals(setting)).toList();
    }

    public List<RunLog> runs(String setting) {
        return runs.stream().filter(r -> r.setting().equals(setting)).toList();
    }

    static OptionalDouble secondsToTarget(RunLog run, double target) {
        return run.rounds().stream().filter(r -> r.accuracy() >= target)
                .mapToDouble(RunLog.Round::elapsedSeconds).findFirst();
    }

    private static Row row(RunLog run, double target, OptionalDouble speedup) {
        List<RunLog.Round> trained = run.rounds().subList(1, run.rounds().size());
        RunLog.Round last = run.last();
        OptionalInt roundsToTarget = run.rounds().stream().filter(r -> r.accuracy() >= target)
                .mapToInt(RunLog.Round::round).findFirst();
        long maxTrainable = last.nodes().values().stream().mapToLong(RunLog.NodeRound::trainableParameters).max().orElse(0);
        long sumTrainable = last.nodes().values().stream().mapToLong(RunLog.NodeRound::trainableParameters).sum();
        double up = trained.stream().mapToDouble(r -> r.nodes().values().stream()
                .mapToLong(RunLog.NodeRound::bytesUp).sum()).average().orElseThrow();
        double down = trained.stream().mapToDouble(r -> r.nodes().values().stream()
                .mapToLong(RunLog.NodeRound::bytesDown).sum()).average().orElseThrow();
        Map<String, Long> peakBytes = new TreeMap<>();
        for (RunLog.Round r : trained) {
            r.nodes().forEach((id, n) -> peakBytes.merge(id, n.peakMemoryBytes(), Math::max));
        }
        Map<String, Double> peakMb = new TreeMap<>();
        peakBytes.forEach((id, b) -> peakMb.put(id, b < 0 ? Double.NaN : b / 1e6));
        double best = run.rounds().stream().mapToDouble(RunLog.Round::accuracy).max().orElseThrow();
        return new Row(run.setting(), run.method(), run.source(), trained.size(), last.accuracy(), last.macroF1(),
                best, secondsToTarget(run, target), roundsToTarget, maxTrainable, sumTrainable, up, down, peakMb,
                last.elapsedSeconds(), speedup);
    }
}
