package io.fedpipe.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The comparison's figures, two PNGs per setting: {@code accuracy-vs-time-<setting>.png} (one
 * line per method over elapsed time, the target dashed) and {@code bytes-per-round-<setting>.png}
 * (mean MB up + down per round per method, stacked). The time label goes into the x axis title.
 */
public final class ComparisonPlots {

    private ComparisonPlots() {}

    /** Writes the figures into {@code dir} (created if needed) and returns their paths, in order. */
    public static List<Path> write(MethodComparison c, Path dir) throws IOException {
        List<Path> written = new ArrayList<>();
        for (String setting : c.settings()) {
            List<RunLog> runs = c.runs(setting);
            boolean bleu = runs.stream().anyMatch(r -> r.score().equals("bleu"));
            List<LinePlot.Series> lines = new ArrayList<>();
            List<LinePlot.Series> byBytes = new ArrayList<>();
            double yMax = bleu ? Math.min(1, Math.max(0.1, 1.2 * runs.stream().flatMap(r -> r.rounds().stream())
                    .mapToDouble(RunLog.Round::accuracy).max().orElse(0.5))) : 1.0;
            for (RunLog run : runs) {
                // Several runs of one method (seeds) are told apart by their experiment file.
                String label = runs.stream().filter(r -> r.method().equals(run.method())).count() > 1
                        ? run.experiment().replaceFirst("\\.conf$", "") : run.method();
                double[] x = run.rounds().stream().mapToDouble(RunLog.Round::elapsedSeconds).toArray();
                double[] y = run.rounds().stream().mapToDouble(RunLog.Round::accuracy).toArray();
                lines.add(new LinePlot.Series(label, x, y));
                double[] mb = new double[run.rounds().size()];
                double sum = 0;
                for (int i = 0; i < mb.length; i++) {
                    RunLog.Round r = run.rounds().get(i);
                    sum += (r.bytesUp() + r.bytesDown()) / 1e6;
                    mb[i] = sum;
                }
                byBytes.add(new LinePlot.Series(label, mb, y));
            }
            String score = bleu ? "BLEU (greedy, the round's test MRs)" : "validation accuracy";
            Path accuracy = dir.resolve((bleu ? "bleu" : "accuracy") + "-vs-time-" + fileName(setting) + ".png");
            new LinePlot((bleu ? "BLEU" : "Accuracy") + " vs " + c.time() + " time, setting " + setting,
                    "elapsed seconds (time: " + c.time() + ")", score, yMax, lines, c.target(),
                    LinePlot.targetLabel(c.target())).write(accuracy);
            written.add(accuracy);
            if (bleu) {
                Path vsBytes = dir.resolve("bleu-vs-bytes-" + fileName(setting) + ".png");
                new LinePlot("BLEU vs bytes exchanged, setting " + setting, "MB exchanged (up + down, cumulative)",
                        score, yMax, byBytes, c.target(), LinePlot.targetLabel(c.target())).write(vsBytes);
                written.add(vsBytes);
            }

            List<MethodComparison.Row> rows = c.rows(setting);
            List<String> methods = rows.stream().map(MethodComparison.Row::method).toList();
            double[] up = rows.stream().mapToDouble(r -> r.meanBytesUp() / 1e6).toArray();
            double[] down = rows.stream().mapToDouble(r -> r.meanBytesDown() / 1e6).toArray();
            Path bytes = dir.resolve("bytes-per-round-" + fileName(setting) + ".png");
            new BarChart("Traffic per round, setting " + setting + " (all nodes, mean over rounds)", "method",
                    "MB per round (10^6 bytes)", methods,
                    List.of(new BarChart.Part("up", up), new BarChart.Part("down", down))).write(bytes);
            written.add(bytes);
        }
        return written;
    }

    /** A setting name as a file-name part: lower case, anything but letters, digits, '.', '_' → '-'. */
    static String fileName(String setting) {
        return setting.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._]+", "-");
    }
}
