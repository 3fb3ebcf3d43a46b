package io.fedpipe.cli;

import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.cluster.local.LocalCluster;
import io.fedpipe.cluster.local.LocalClusterLayout;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code fedpipe bench cluster}: the cost of running rounds through the cluster. Three node
 * processes on loopback (the demo's emulated resources) run a short job; then per round:
 *
 * <ul>
 *   <li>orchestration overhead = round wall time − the slowest node's emulated time, where a
 *       node's emulated time is its measured compute / its compute scale + its bytes over its
 *       link speeds (what the trainer really waits, DESIGN.md §5), as a share of the round;</li>
 *   <li>per node, the bytes Artery really sent for its uploads (serialized {@code DeltaUpload}
 *       frames, {@code fedpipe_wire_bytes_*} in {@code /metrics}) and received for its
 *       assignments, against the raw float32 size of those adapters and the head.</li>
 * </ul>
 */
final class ClusterBench {

    /**
     * One round: its wall time, the slowest node and that node's emulated time, and the longest
     * training wall time of any node (from its last slice to its upload, emulated waits included).
     */
    record RoundCost(int round, double wallSeconds, String slowest, double slowestSeconds, double longestTrainSeconds) {
        /** The part outside every node's training: slices out, uploads in, aggregation, checkpoint, close. */
        double clusterSeconds() {
            return wallSeconds - longestTrainSeconds;
        }

        double overheadSeconds() {
            return wallSeconds - slowestSeconds;
        }

        double overheadShare() {
            return overheadSeconds() / wallSeconds;
        }
    }

    private static final Pattern WIRE = Pattern.compile(
            "fedpipe_wire_bytes_(sent|received)_total\\{message=\"([^\"]+)\",node=\"([^\"]+)\"} (\\d+)");

    private ClusterBench() {}

    static int run(PrintWriter out, Path outDir, Path jobFile, Integer rounds) throws Exception {
        String text = DemoCommand.jobText(jobFile, rounds);
        List<LocalClusterLayout.NodeSpec> specs = ClusterRun.demoNodes(3);
        Files.createDirectories(outDir);
        LocalClusterLayout layout = LocalClusterLayout.plan(outDir.resolve("cluster"), specs,
                new LocalClusterLayout.Options(1, "1g", Duration.ofMinutes(3), Duration.ofSeconds(30), List.of()));
        try (LocalCluster cluster = LocalCluster.start(layout)) {
            ClusterRun.Outcome outcome = ClusterRun.run(cluster, jobFile.getFileName().toString(), text, out);
            GatewayProtocol.JobStatus s = outcome.status();
            if (s.state() != GatewayProtocol.JobState.FINISHED) {
                throw new IllegalStateException("job " + s.jobId() + " ended " + s.state() + ": " + s.reason());
            }
            Map<String, long[]> wire = new HashMap<>();
            for (LocalClusterLayout.Node n : cluster.nodes()) {
                wire.put(n.name(), wireBytes(cluster.get(n.name(), "/metrics")));
            }
            print(out, s, specs, wire);
            return 0;
        }
    }

    /** {DeltaUpload bytes sent, RoundAssignment bytes received} of one node's /metrics. */
    static long[] wireBytes(String metrics) {
        long[] b = new long[2];
        Matcher m = WIRE.matcher(metrics);
        while (m.find()) {
            if (m.group(1).equals("sent") && m.group(2).equals("RoundProtocol.DeltaUpload")) {
                b[0] += Long.parseLong(m.group(4));
            } else if (m.group(1).equals("received") && m.group(2).equals("RoundProtocol.RoundAssignment")) {
                b[1] += Long.parseLong(m.group(4));
            }
        }
        return b;
    }

    /** Per round, the slowest node by emulated time (compute / scale + transfer over its links). */
    static List<RoundCost> costs(GatewayProtocol.JobStatus s, List<LocalClusterLayout.NodeSpec> specs) {
        Map<String, LocalClusterLayout.NodeSpec> byName = new HashMap<>();
        specs.forEach(n -> byName.put(n.name(), n));
        List<RoundCost> out = new ArrayList<>();
        for (GatewayProtocol.RoundMetrics r : s.history()) {
            String slowest = "-";
            double worst = 0;
            double longest = 0;
            for (GatewayProtocol.NodeMetrics n : r.nodes()) {
                longest = Math.max(longest, n.trainSeconds());
                LocalClusterLayout.NodeSpec spec = byName.get(n.nodeId());
                double t = n.computeSeconds() / spec.computeScale() + 8.0 * n.bytesDown() / (spec.downlinkMbps() * 1e6)
                        + 8.0 * n.bytesUp() / (spec.uplinkMbps() * 1e6);
                if (t > worst) {
                    worst = t;
                    slowest = n.nodeId();
                }
            }
            out.add(new RoundCost(r.round(), r.roundSeconds(), slowest, worst, longest));
        }
        return out;
    }

    private static void print(PrintWriter out, GatewayProtocol.JobStatus s, List<LocalClusterLayout.NodeSpec> specs,
            Map<String, long[]> wire) {
        out.println();
        out.println("Orchestration overhead per round (emulated node time = compute / scale + bytes / link):");
        out.println(String.format(Locale.ROOT, "%6s %9s %8s %12s %11s %9s %10s %12s", "round", "wall s", "slowest",
                "its time s", "overhead s", "share", "cluster s", "in-node s"));
        List<RoundCost> costs = costs(s, specs);
        double sumShare = 0;
        double sumSeconds = 0;
        for (RoundCost c : costs) {
            out.println(String.format(Locale.ROOT, "%6d %9.1f %8s %12.1f %11.1f %8.1f%% %10.1f %12.1f", c.round(),
                    c.wallSeconds(), c.slowest(), c.slowestSeconds(), c.overheadSeconds(), 100 * c.overheadShare(),
                    c.clusterSeconds(), c.overheadSeconds() - c.clusterSeconds()));
            sumShare += c.overheadShare();
            sumSeconds += c.overheadSeconds();
        }
        out.println(String.format(Locale.ROOT, "mean overhead: %.1f s per round, %.1f%% of the round time", sumSeconds
                / costs.size(), 100 * sumShare / costs.size()));
        out.println("  cluster s: round wall - the longest node training wall (slices out, uploads in, aggregation, close);");
        out.println("  in-node s: the rest (a node's work outside its measured compute: model set-up, batching, waiting for a core)");

        int rounds = s.history().size();
        Map<String, long[]> raw = new HashMap<>();
        for (GatewayProtocol.RoundMetrics r : s.history()) {
            for (GatewayProtocol.NodeMetrics n : r.nodes()) {
                long[] b = raw.computeIfAbsent(n.nodeId(), k -> new long[2]);
                b[0] += n.bytesUp();
                b[1] += n.bytesDown();
            }
        }
        out.println();
        out.println("Bytes per round per node (mean over " + rounds + " rounds): Artery frames vs raw float32 adapters + head:");
        out.println(String.format(Locale.ROOT, "%8s %13s %13s %7s %13s %13s %7s", "node", "up wire", "up float32", "ratio",
                "down wire", "down float32", "ratio"));
        for (LocalClusterLayout.NodeSpec n : specs) {
            long[] w = wire.getOrDefault(n.name(), new long[2]);
            long[] f = raw.getOrDefault(n.name(), new long[2]);
            out.println(String.format(Locale.ROOT, "%8s %13d %13d %7.3f %13d %13d %7.3f", n.name(), w[0] / rounds,
                    f[0] / rounds, ratio(w[0], f[0]), w[1] / rounds, f[1] / rounds, ratio(w[1], f[1])));
        }
        out.flush();
    }

    private static double ratio(long a, long b) {
        return b == 0 ? Double.NaN : (double) a / b;
    }
}
