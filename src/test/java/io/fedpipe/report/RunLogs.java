package io.fedpipe.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Small hand-written run logs in the schema of {@code fedpipe simulate --json}, shared by the report
 * and CLI tests. Only the figures the report uses vary; the rest are fixed plausible values.
 */
public final class RunLogs {

    private RunLogs() {}

    /** One node's figures in one round. */
    public static String node(String id, long trainable, long up, long down, long peakBytes) {
        return String.format(Locale.ROOT, "\"%s\":{\"bits\":\"nf4\",\"batch\":8,\"steps\":10,\"rank\":8,\"matrices\":24,"
                + "\"trainableParameters\":%d,\"bytesUp\":%d,\"bytesDown\":%d,\"computeSeconds\":1.5,"
                + "\"emulatedSeconds\":6.0,\"peakMemoryBytes\":%d,\"lastLoss\":1.25}", id, trainable, up, down, peakBytes);
    }

    /** One round's line; {@code nodes} from {@link #node}, none for round 0. */
    public static String round(String method, String setting, int round, double accuracy, double macroF1,
                               double elapsed, String... nodes) {
        return String.format(Locale.ROOT, "{\"experiment\":\"%s-%s.conf\",\"method\":\"%s\",\"setting\":\"%s\","
                + "\"round\":%d,\"accuracy\":%s,\"macroF1\":%s,\"time\":\"emulated\",\"roundSeconds\":1.0,"
                + "\"elapsedSeconds\":%s,\"bytesUp\":0,\"bytesDown\":0,\"rejected\":0,\"failures\":0,"
                + "\"nodes\":{%s}}", setting, method, method, setting, round, accuracy, macroF1, elapsed,
                String.join(",", nodes));
    }

    public static Path write(Path dir, String name, String... lines) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
    }

    /**
     * Setting "hetero": fedpipe reaches 0.6 at 22 s (round 2), fedavg-lora at 60 s (round 3,
     * accuracy exactly 0.60), hetlora at 55 s (round 3): speed-up 55 / 22 = 2.5. Setting "iid":
     * fedpipe alone, never reaching 0.6. Returns the files in that order.
     */
    public static List<Path> comparison(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        files.add(write(dir, "hetero-fedpipe.jsonl",
                round("fedpipe", "hetero", 0, 0.20, 0.10, 0),
                round("fedpipe", "hetero", 1, 0.45, 0.40, 10,
                        node("a", 1000, 4000, 2000, 100_000_000), node("b", 500, 2000, 2000, 50_000_000)),
                round("fedpipe", "hetero", 2, 0.62, 0.58, 22,
                        node("a", 1000, 4000, 2000, 120_000_000), node("b", 500, 2000, 2000, 40_000_000)),
                round("fedpipe", "hetero", 3, 0.61, 0.60, 30,
                        node("a", 1000, 4000, 2000, 110_000_000), node("b", 700, 3000, 2000, -1))));
        files.add(write(dir, "hetero-fedavg.jsonl",
                round("fedavg-lora", "hetero", 0, 0.20, 0.10, 0),
                round("fedavg-lora", "hetero", 1, 0.40, 0.30, 20, node("a", 2000, 8000, 8000, -1), node("b", 2000, 8000, 8000, -1)),
                round("fedavg-lora", "hetero", 2, 0.55, 0.50, 40, node("a", 2000, 8000, 8000, -1), node("b", 2000, 8000, 8000, -1)),
                round("fedavg-lora", "hetero", 3, 0.60, 0.57, 60, node("a", 2000, 8000, 8000, -1), node("b", 2000, 8000, 8000, -1)),
                round("fedavg-lora", "hetero", 4, 0.65, 0.61, 80, node("a", 2000, 8000, 8000, -1), node("b", 2000, 8000, 8000, -1))));
        files.add(write(dir, "hetero-hetlora.jsonl",
                round("hetlora", "hetero", 0, 0.20, 0.10, 0),
                round("hetlora", "hetero", 1, 0.50, 0.45, 25, node("a", 1500, 5000, 5000, 90_000_000)),
                round("hetlora", "hetero", 2, 0.58, 0.52, 40, node("a", 1500, 5000, 5000, 95_000_000)),
                round("hetlora", "hetero", 3, 0.63, 0.60, 55, node("a", 1500, 5000, 5000, 80_000_000))));
        files.add(write(dir, "iid-fedpipe.jsonl",
                round("fedpipe", "iid", 0, 0.20, 0.10, 0),
                round("fedpipe", "iid", 1, 0.50, 0.40, 12, node("a", 1000, 4000, 2000, 70_000_000))));
        return files;
    }
}
