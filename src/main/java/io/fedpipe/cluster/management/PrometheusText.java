package io.fedpipe.cluster.management;

import io.fedpipe.cluster.protocol.SchedulerProtocol;

import io.fedpipe.cluster.protocol.GatewayProtocol;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The scheduler's view rendered in the Prometheus text exposition format (version 0.0.4):
 * per job and node the last round's times and loss, bytes sent and received over all rounds,
 * round and plan-change counts; nodes up. Derived from the journaled state on each scrape, so
 * every node answers the same numbers wherever the singleton runs.
 */
public final class PrometheusText {

    private PrometheusText() {}

    public static String render(List<GatewayProtocol.JobStatus> jobs, SchedulerProtocol.NodeList nodes) {
        StringBuilder s = new StringBuilder();
        Metric up = new Metric("fedpipe_nodes_up", "gauge", "Registered nodes whose trainer is listed.");
        up.add(Map.of(), nodes.nodes().stream().filter(n -> n.up() && n.trainer()).count());
        Metric round = new Metric("fedpipe_job_round", "gauge", "The round a job has open (0 before the first).");
        Metric rounds = new Metric("fedpipe_job_rounds_closed_total", "counter", "Rounds closed on every partition.");
        Metric changes = new Metric("fedpipe_plan_changes_total", "counter", "Re-plans (node left, returned or slow).");
        Metric roundSeconds = new Metric("fedpipe_round_seconds", "gauge", "Length of the last closed round.");
        Metric train = new Metric("fedpipe_node_round_seconds", "gauge", "A node's training wall time in the last closed round.");
        Metric compute = new Metric("fedpipe_node_compute_seconds", "gauge", "A node's measured compute time in the last closed round.");
        Metric planned = new Metric("fedpipe_node_planned_seconds", "gauge", "The plan's predicted compute time for the node.");
        Metric sent = new Metric("fedpipe_node_bytes_sent_total", "counter", "Bytes a node uploaded (deltas), all rounds.");
        Metric received = new Metric("fedpipe_node_bytes_received_total", "counter", "Bytes a node downloaded (assignments), all rounds.");
        Metric loss = new Metric("fedpipe_node_loss", "gauge", "A node's last training loss in the last closed round.");
        Metric validation = new Metric("fedpipe_node_validation_loss", "gauge",
                "A node's trained model on its own held-out split in the last closed round (causal-LM: per token).");
        Metric score = new Metric("fedpipe_job_score", "gauge",
                "A finished causal-LM job's test-set scores by metric and model (base or tuned).");
        for (GatewayProtocol.JobStatus j : jobs) {
            Map<String, String> job = Map.of("job", j.jobId());
            round.add(job, j.round());
            rounds.add(job, j.history().size());
            changes.add(job, j.planChanges().size());
            Map<String, long[]> bytes = new TreeMap<>();
            for (GatewayProtocol.RoundMetrics r : j.history()) {
                for (GatewayProtocol.NodeMetrics n : r.nodes()) {
                    long[] b = bytes.computeIfAbsent(n.nodeId(), k -> new long[2]);
                    b[0] += n.bytesUp();
                    b[1] += n.bytesDown();
                }
            }
            bytes.forEach((node, b) -> {
                sent.add(Map.of("job", j.jobId(), "node", node), b[0]);
                received.add(Map.of("job", j.jobId(), "node", node), b[1]);
            });
            if (!j.history().isEmpty()) {
                GatewayProtocol.RoundMetrics last = j.history().get(j.history().size() - 1);
                roundSeconds.add(job, last.roundSeconds());
                for (GatewayProtocol.NodeMetrics n : last.nodes()) {
                    Map<String, String> l = Map.of("job", j.jobId(), "node", n.nodeId());
                    train.add(l, n.trainSeconds());
                    compute.add(l, n.computeSeconds());
                    planned.add(l, n.plannedSeconds());
                    loss.add(l, n.loss());
                    if (n.validationExamples() > 0) {
                        validation.add(l, n.validationLoss());
                    }
                }
            }
            var e = j.evaluation();
            if (e != null && e.error() == null) {
                e.base().forEach((k, v) -> score.add(Map.of("job", j.jobId(), "metric", k, "model", "base"), v));
                e.tuned().forEach((k, v) -> score.add(Map.of("job", j.jobId(), "metric", k, "model", "tuned"), v));
            }
        }
        for (Metric m : List.of(up, round, rounds, changes, roundSeconds, train, compute, planned, sent, received, loss,
                validation, score)) {
            m.write(s);
        }
        return s.toString();
    }

    /**
     * This node's own Artery traffic per message class ({@link io.fedpipe.cluster.wire.WireBytes}):
     * serialized frame sizes, so unlike the job metrics above (float32 payload sizes) these are
     * the bytes really on the wire.
     */
    public static String renderWire(String node, Map<String, Long> sent, Map<String, Long> received) {
        StringBuilder s = new StringBuilder();
        Metric out = new Metric("fedpipe_wire_bytes_sent_total", "counter",
                "Bytes this node sent over Artery, per message class (serialized frames).");
        Metric in = new Metric("fedpipe_wire_bytes_received_total", "counter",
                "Bytes this node received over Artery, per message class (serialized frames).");
        sent.forEach((m, v) -> out.add(Map.of("node", node, "message", m), v));
        received.forEach((m, v) -> in.add(Map.of("node", node, "message", m), v));
        out.write(s);
        in.write(s);
        return s.toString();
    }

    private static final class Metric {
        private final String name;
        private final String type;
        private final String help;
        private final StringBuilder samples = new StringBuilder();

        Metric(String name, String type, String help) {
            this.name = name;
            this.type = type;
            this.help = help;
        }

        void add(Map<String, String> labels, double value) {
            samples.append(name);
            if (!labels.isEmpty()) {
                StringBuilder l = new StringBuilder();
                new TreeMap<>(labels).forEach((k, v) -> l.append(l.length() == 0 ? "" : ",").append(k).append("=\"")
                        .append(v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")).append('"'));
                samples.append('{').append(l).append('}');
            }
            samples.append(' ').append(format(value)).append('\n');
        }

        void write(StringBuilder out) {
            out.append("# HELP ").append(name).append(' ').append(help).append('\n');
            out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
            out.append(samples);
        }

        private static String format(double v) {
            if (Double.isNaN(v)) {
                return "NaN";
            }
            if (Double.isInfinite(v)) {
                return v > 0 ? "+Inf" : "-Inf";
            }
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.6g", v);
        }
    }
}
