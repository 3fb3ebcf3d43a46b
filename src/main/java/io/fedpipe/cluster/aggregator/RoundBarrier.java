package io.fedpipe.cluster.aggregator;

import io.fedpipe.aggregation.Failure;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.aggregation.Rejection;
import io.fedpipe.cluster.protocol.JobProtocol.NodeRoundStats;
import io.fedpipe.round.GlobalModel;
import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.NodeRoundPlan;
import io.fedpipe.round.RoundEngine;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The open round of one aggregator partition: who is planned, what each was sent, who answered
 * how. It closes when {@code ceil(quorum · planned)} nodes delivered, or when every planned node
 * answered (delivered, declined or was rejected); the deadline is the actor's timer. Results and
 * failures come out in plan order, the order the in-process simulator aggregates in. Not
 * persisted: a restarted partition has no open round until the scheduler re-issues it.
 */
final class RoundBarrier {

    /** A node's accepted upload with the figures it reported. */
    record Delivery(NodeUpdate update, double computeSeconds, double lastLoss, double trainMillis,
            io.fedpipe.round.LocalEvaluation validation) {}

    /** A round just opened: its barrier, and per node in plan order the whole assignment to send. */
    record Opened(RoundBarrier barrier, List<NodeAssignment> toSend) {}

    /** A closed round: the partition's next global, the strategy's rejections, the failed nodes. */
    record Closed(GlobalModel next, List<Rejection> rejected, List<Failure> failures) {}

    private final int round;
    private final int needed;
    private final Map<String, NodeAssignment> sent = new LinkedHashMap<>();
    private final Map<String, Long> bytesDown = new HashMap<>();
    private final Map<String, Delivery> delivered = new HashMap<>();
    private final Map<String, String> failed = new HashMap<>();

    /**
     * @param sent      per planned node in plan order, what it was sent restricted to this partition
     * @param bytesDown per node, bytes of the slice it was really sent (whole plan, this partition's adapters)
     */
    RoundBarrier(int round, List<NodeAssignment> sent, Map<String, Long> bytesDown, double quorum) {
        this.round = round;
        sent.forEach(a -> this.sent.put(a.nodeId(), a));
        this.bytesDown.putAll(bytesDown);
        // The epsilon keeps 0.7 · 10 = 7.000000000000001 from asking for 8 nodes.
        this.needed = Math.max(1, (int) Math.ceil(quorum * sent.size() - 1e-9));
    }

    /**
     * Opens {@code round} of partition {@code p} of {@code n}: the strategy configures the plans, each
     * node is assigned from {@code global}; aggregation sees each assignment restricted to p.
     */
    static Opened open(RoundEngine engine, int round, List<NodeRoundPlan> planned, GlobalModel global, int p, int n,
            double quorum) {
        List<NodeAssignment> sent = new ArrayList<>();
        Map<String, Long> bytes = new HashMap<>();
        List<NodeAssignment> full = new ArrayList<>();
        for (NodeRoundPlan plan : engine.configure(round, planned)) {
            NodeAssignment a = engine.assign(round, plan, global);
            full.add(a);
            sent.add(restricted(a, p, n));
            bytes.put(plan.nodeId(), a.bytes());
        }
        return new Opened(new RoundBarrier(round, sent, bytes, quorum), full);
    }

    /** Node {@code node}'s whole assignment again, for a round re-issued while open. */
    static NodeAssignment reassign(RoundEngine engine, int round, String node, List<NodeRoundPlan> planned,
            GlobalModel global) {
        NodeRoundPlan plan = engine.configure(round, planned).stream().filter(p -> p.nodeId().equals(node))
                .findFirst().orElseThrow();
        return engine.assign(round, plan, global);
    }

    /** Closes the round from {@code previous} (a round every node failed is the engine's case too). */
    Closed close(RoundEngine engine, GlobalModel previous, String silentReason) {
        List<Failure> failures = failures(silentReason);
        RoundEngine.Outcome outcome = engine.aggregate(sent(), results(), failures, previous);
        return new Closed(outcome.global(), outcome.result().rejected(), failures);
    }

    int round() {
        return round;
    }

    int needed() {
        return needed;
    }

    boolean isPlanned(String node) {
        return sent.containsKey(node);
    }

    boolean hasAnswered(String node) {
        return delivered.containsKey(node) || failed.containsKey(node);
    }

    NodeAssignment sentTo(String node) {
        return sent.get(node);
    }

    List<String> waitingFor() {
        return sent.keySet().stream().filter(n -> !hasAnswered(n)).toList();
    }

    int deliveries() {
        return delivered.size();
    }

    void deliver(Delivery d) {
        delivered.put(d.update().nodeId(), d);
    }

    void fail(String node, String reason) {
        failed.put(node, reason);
    }

    /** Enough deliveries, or nobody left to wait for. */
    boolean canClose() {
        return delivered.size() >= needed || waitingFor().isEmpty();
    }

    /** Every assignment of the round, plan order: what aggregation compares the deltas with. */
    List<NodeAssignment> sent() {
        return List.copyOf(sent.values());
    }

    List<NodeUpdate> results() {
        List<NodeUpdate> out = new ArrayList<>();
        sent.keySet().forEach(n -> {
            if (delivered.containsKey(n)) {
                out.add(delivered.get(n).update());
            }
        });
        return out;
    }

    /** Nodes that delivered nothing usable; those still silent get {@code silentReason}. */
    List<Failure> failures(String silentReason) {
        List<Failure> out = new ArrayList<>();
        sent.keySet().forEach(n -> {
            if (failed.containsKey(n)) {
                out.add(new Failure(n, failed.get(n)));
            } else if (!delivered.containsKey(n)) {
                out.add(new Failure(n, silentReason));
            }
        });
        return out;
    }

    List<NodeRoundStats> stats() {
        List<NodeRoundStats> out = new ArrayList<>();
        sent.keySet().forEach(n -> {
            Delivery d = delivered.get(n);
            if (d != null) {
                out.add(new NodeRoundStats(n, bytesDown.getOrDefault(n, 0L), bytes(d.update()), d.computeSeconds(),
                        d.lastLoss(), d.trainMillis(), d.validation().loss(), d.validation().examples()));
            }
        });
        return out;
    }

    /** Bytes of an update as float32: every adapter factor and dense tensor. */
    static long bytes(NodeUpdate u) {
        long floats = 0;
        for (var a : u.adapters().values()) {
            floats += a.a().data().length + a.b().data().length;
        }
        for (var t : u.dense().values()) {
            floats += t.data().length;
        }
        return 4 * floats;
    }

    /** {@code plan} restricted to partition {@code p} of {@code n}, for the assignment aggregation sees. */
    static NodeAssignment restricted(NodeAssignment full, int p, int n) {
        NodeRoundPlan plan = io.fedpipe.cluster.protocol.Partitioning.restrict(full.plan(), p, n);
        return new NodeAssignment(full.round(), plan, full.adapters(), full.dense());
    }
}
