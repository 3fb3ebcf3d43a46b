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
            List<LinePlot.Series> lines = new ArrayList<>();
            for (RunLog run : c.runs(setting)) {
                double[] x = run.rounds().stream().mapToDouble(RunLog.Round::elapsedSeconds).toArray();
                double[] y = run.rounds().stream().mapToDouble(RunLog.Round::accuracy).toArray();
                lines.add(new LinePlot.Series(run.method(), x, y));
            }
            Path accuracy = dir.resolve("accuracy-vs-time-" + fileName(setting) + ".png");
            new LinePlot("Accuracy vs " + c.time() + " time, setting " + setting, "elapsed seconds (time: " + c.time() + ")",
                    "validation accuracy", 1.0, lines, c.target(), LinePlot.targetLabel(c.target())).write(accuracy);
            written.add(accuracy);

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
