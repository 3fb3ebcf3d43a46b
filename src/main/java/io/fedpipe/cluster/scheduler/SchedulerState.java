package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.protocol.PersistedJson;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.GatewayProtocol.PlanChange;
import io.fedpipe.cluster.protocol.JobProtocol.NodeRoundStats;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.scheduler.SchedulerEvent.LeftOut;
import io.fedpipe.cluster.scheduler.SchedulerEvent.PartitionClosed;
import io.fedpipe.cluster.scheduler.SchedulerEvent.PlannedNode;
import io.fedpipe.round.RoundLoop;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * The scheduler's durable state: known nodes and every job, rebuilt by {@link #apply} from the
 * journal (and persisted as a JSON snapshot). Immutable: every event yields a new state. Each job
 * carries its {@link RoundLoop.State}; the journal's plan, round and end events are the loop's
 * facts ({@link SchedulerEvent#loopFact}), so the scheduler and the simulator fold the same facts
 * the same way. Slow-node hysteresis is derived here, from the closed partitions' times.
 */
public record SchedulerState(Map<String, NodeEntry> nodes, Map<String, JobEntry> jobs) implements PersistedJson {

    public SchedulerState {
        nodes = Map.copyOf(nodes);
        jobs = Map.copyOf(jobs);
    }

    public static SchedulerState empty() {
        return new SchedulerState(Map.of(), Map.of());
    }

    /**
     * @param slowdown how many times slower than its profile says the node proved to be (1: as declared)
     */
    public record NodeEntry(NodeProfile profile, boolean up, double slowdown, String leftReason) {}

    /** A node's answer to PrepareJob. */
    public record Prepared(int trainExamples, Map<String, Double> importance, double probeSeconds) {
        public Prepared {
            importance = Map.copyOf(importance);
        }
    }

    /** One node in one closed round, over all partitions; {@code steps}: its local steps in that round's plan. */
    public record NodeRecord(String nodeId, int steps, double computeSeconds, double trainSeconds,
            double plannedSeconds, long bytesUp, long bytesDown, double loss, double validationLoss,
            int validationExamples) {

        /** A node without a local evaluation (and a record journaled before nodes evaluated). */
        public NodeRecord(String nodeId, int steps, double computeSeconds, double trainSeconds, double plannedSeconds,
                long bytesUp, long bytesDown, double loss) {
            this(nodeId, steps, computeSeconds, trainSeconds, plannedSeconds, bytesUp, bytesDown, loss, Double.NaN, 0);
        }

        public NodeRecord {
            // Older snapshots have no validation: Jackson leaves 0 examples, and then the loss means nothing.
            validationLoss = validationExamples > 0 ? validationLoss : Double.NaN;
        }
    }

    /** A closed round: its wall time from opening to the last partition's close, per node, failures. */
    public record RoundRecord(int round, double roundSeconds, List<NodeRecord> nodes, List<String> failures) {
        public RoundRecord {
            nodes = List.copyOf(nodes);
            failures = List.copyOf(failures);
        }
    }

    /** A re-plan before {@code beforeRound}: why, and the nodes of the new plan. */
    public record PlanChange(int beforeRound, String reason, List<String> nodes) {
        public PlanChange {
            nodes = List.copyOf(nodes);
        }
    }

    /**
     * One job.
     *
     * @param loop        the round loop's view: phase, round, plan membership, slow streaks
     * @param prepared    participants that have loaded the job (a node that left is removed until it prepares again)
     * @param closed      partitions that closed the open round
     * @param interrupted the open round was re-issued by a scheduler that recovered: its timings include the
     *                    fail-over and do not count toward slowness
     */
    public record JobEntry(JobSpec job, String name, RoundLoop.State loop, String reason,
            List<String> participants, Map<String, Prepared> prepared, Map<String, String> refused,
            List<String> selected, double roundSeconds, List<PlannedNode> plan, List<LeftOut> excluded,
            Instant roundOpenedAt, Map<Integer, PartitionClosed> closed, List<RoundRecord> history,
            List<PlanChange> planChanges, boolean interrupted, SchedulerEvent.JobScored evaluation) {

        public JobEntry {
            participants = List.copyOf(participants);
            prepared = Map.copyOf(prepared);
            refused = Map.copyOf(refused);
            selected = List.copyOf(selected);
            plan = List.copyOf(plan);
            excluded = List.copyOf(excluded);
            closed = Map.copyOf(closed);
            history = List.copyOf(history);
            planChanges = List.copyOf(planChanges);
        }

        static JobEntry submitted(JobSpec job, String name, List<String> participants) {
            return new JobEntry(job, name, RoundLoop.State.preparing(), "", participants, Map.of(), Map.of(),
                    List.of(), 0, List.of(), List.of(), null, Map.of(), List.of(), List.of(), false, null);
        }

        public RoundLoop.Phase state() {
            return loop.phase();
        }

        /** The round open now (or last opened), 0 before the first. */
        public int round() {
            return loop.round();
        }

        public Map<String, Integer> slowStreak() {
            return loop.slowStreak();
        }

        public Map<String, Double> lastFactor() {
            return loop.lastFactor();
        }

        /** The open round's results are all in, and the loop has not gone on yet. */
        public boolean roundComplete() {
            return loop.phase() == RoundLoop.Phase.RUNNING && loop.round() > 0 && !loop.open() && !loop.probing();
        }

        /** The nodes of the current plan. */
        public List<String> plannedNodes() {
            return plan.stream().map(PlannedNode::nodeId).toList();
        }

        JobEntry withLoop(RoundLoop.Fact fact) {
            return new JobEntry(job, name, loop.apply(fact), reason, participants, prepared, refused, selected,
                    roundSeconds, plan, excluded, roundOpenedAt, closed, history, planChanges, interrupted, evaluation);
        }

        JobEntry withPrepared(Map<String, Prepared> p, Map<String, String> r) {
            return new JobEntry(job, name, loop, reason, participants, p, r, selected, roundSeconds, plan, excluded,
                    roundOpenedAt, closed, history, planChanges, interrupted, evaluation);
        }

        JobEntry withPlan(List<String> sel, double seconds, List<PlannedNode> rows, List<LeftOut> out,
                List<PlanChange> changes) {
            return new JobEntry(job, name, loop, reason, participants, prepared, refused, sel, seconds, rows, out,
                    roundOpenedAt, closed, history, changes, interrupted, evaluation);
        }

        JobEntry withRound(Instant openedAt, Map<Integer, PartitionClosed> parts, List<RoundRecord> records,
                boolean wasInterrupted) {
            return new JobEntry(job, name, loop, reason, participants, prepared, refused, selected, roundSeconds, plan,
                    excluded, openedAt, parts, records, planChanges, wasInterrupted, evaluation);
        }

        /** The finished job's generation scores, as the evaluating node reported them. */
        JobEntry withEvaluation(SchedulerEvent.JobScored e) {
            return new JobEntry(job, name, loop, reason, participants, prepared, refused, selected, roundSeconds, plan,
                    excluded, roundOpenedAt, closed, history, planChanges, interrupted, e);
        }

        JobEntry withReason(String why) {
            return new JobEntry(job, name, loop, why, participants, prepared, refused, selected, roundSeconds, plan,
                    excluded, roundOpenedAt, closed, history, planChanges, interrupted, evaluation);
        }
    }

    public JobEntry job(String jobId) {
        return jobs.get(jobId);
    }

    /** Nodes that are up, by id. */
    public List<String> upNodes() {
        return nodes.values().stream().filter(NodeEntry::up).map(n -> n.profile().nodeId()).sorted().toList();
    }

    /** This state after {@code event} (each event knows its own change: {@link SchedulerEvent#applyTo}). */
    public SchedulerState apply(SchedulerEvent event) {
        return event.applyTo(this);
    }

    // ---- changes the events make; package-private for SchedulerEvent ---------------------------

    SchedulerState withNode(NodeEntry n) {
        Map<String, NodeEntry> next = new LinkedHashMap<>(nodes);
        next.put(n.profile().nodeId(), n);
        return new SchedulerState(next, jobs);
    }

    SchedulerState withJob(JobEntry j) {
        Map<String, JobEntry> next = new LinkedHashMap<>(jobs);
        next.put(j.job().jobId(), j);
        return new SchedulerState(nodes, next);
    }

    SchedulerState editJob(String jobId, UnaryOperator<JobEntry> change) {
        JobEntry j = jobs.get(jobId);
        return j == null ? this : withJob(change.apply(j));
    }

    /** The node left: every running job it had loaded must see it prepare again when it returns. */
    SchedulerState nodeLeft(String nodeId, String reason) {
        NodeEntry old = nodes.get(nodeId);
        SchedulerState s = old == null ? this : withNode(new NodeEntry(old.profile(), false, old.slowdown(), reason));
        for (JobEntry j : jobs.values()) {
            if (!j.state().over() && j.prepared().containsKey(nodeId)) {
                Map<String, Prepared> prepared = new TreeMap<>(j.prepared());
                prepared.remove(nodeId);
                s = s.withJob(j.withPrepared(prepared, j.refused()));
            }
        }
        return s;
    }

    /** A partition closed the open round; the last one closes the round in the loop, with its metrics. */
    SchedulerState partitionClosed(PartitionClosed e) {
        return editJob(e.jobId(), j -> {
            if (e.round() != j.round() || !j.loop().open() || j.closed().containsKey(e.partition())) {
                return j;
            }
            Map<Integer, PartitionClosed> parts = new TreeMap<>(j.closed());
            parts.put(e.partition(), e);
            JobEntry withPart = j.withRound(j.roundOpenedAt(), parts, j.history(), j.interrupted());
            return parts.size() < j.job().partitions() ? withPart : closeRound(withPart);
        });
    }

    /**
     * All partitions closed: per-node metrics over partitions, and the loop's round-closed fact. A
     * node's train time (slices in to upload out, emulated links included) is held against its planned
     * finish, which counts the same transfers; against the compute alone a node on a slow link looked
     * 50x slow every round, and the slowdown that followed made the job impossible to re-plan.
     */
    private static JobEntry closeRound(JobEntry j) {
        Map<String, double[]> times = new TreeMap<>(); // compute, train, loss
        Map<String, NodeRoundStats> evaluated = new TreeMap<>(); // every partition's upload carries the same one
        Map<String, long[]> bytes = new TreeMap<>(); // up, down
        List<String> failures = new ArrayList<>();
        Instant last = j.roundOpenedAt();
        for (PartitionClosed p : j.closed().values()) {
            for (NodeRoundStats s : p.nodes()) {
                double[] t = times.computeIfAbsent(s.nodeId(), k -> new double[] {0, 0, Double.NaN});
                t[0] = Math.max(t[0], s.computeSeconds());
                t[1] = Math.max(t[1], s.trainMillis() / 1000.0);
                if (Double.isFinite(s.lastLoss())) {
                    t[2] = s.lastLoss();
                }
                if (s.validationExamples() > 0) {
                    evaluated.put(s.nodeId(), s);
                }
                long[] by = bytes.computeIfAbsent(s.nodeId(), k -> new long[2]);
                by[0] += s.bytesUp();
                by[1] += s.bytesDown();
            }
            p.failures().stream().filter(f -> !failures.contains(f)).forEach(failures::add);
            if (last == null || p.closedAt().isAfter(last)) {
                last = p.closedAt();
            }
        }
        Map<String, PlannedNode> planned = new TreeMap<>();
        j.plan().forEach(r -> planned.put(r.nodeId(), r));
        List<NodeRecord> records = new ArrayList<>();
        Map<String, RoundLoop.NodeTime> loopTimes = new TreeMap<>();
        times.forEach((node, t) -> {
            PlannedNode plan = planned.get(node);
            long[] by = bytes.get(node);
            NodeRoundStats v = evaluated.get(node);
            records.add(new NodeRecord(node, plan == null ? 0 : plan.steps(), t[0], t[1],
                    plan == null ? Double.NaN : plan.plannedComputeSeconds(), by[0], by[1], t[2],
                    v == null ? Double.NaN : v.validationLoss(), v == null ? 0 : v.validationExamples()));
            if (plan != null) {
                double expected = plan.plannedFinishSeconds() > 0 ? plan.plannedFinishSeconds()
                        : plan.plannedComputeSeconds();
                loopTimes.put(node, new RoundLoop.NodeTime(t[1] > 0 ? t[1] : t[0], expected));
            }
        });
        double seconds = j.roundOpenedAt() == null ? 0 : Duration.between(j.roundOpenedAt(), last).toMillis() / 1000.0;
        List<RoundRecord> history = new ArrayList<>(j.history());
        history.add(new RoundRecord(j.round(), seconds, records, failures));
        // A round that closed with failures waited for its deadline, and one re-issued after a fail-over
        // includes the fail-over: their times say nothing about a node's speed.
        boolean measures = failures.isEmpty() && !j.interrupted();
        return j.withRound(j.roundOpenedAt(), j.closed(), history, j.interrupted())
                .withLoop(new RoundLoop.RoundClosed(j.round(), loopTimes, measures, RoundLoop.SLOW_FACTOR));
    }
}
