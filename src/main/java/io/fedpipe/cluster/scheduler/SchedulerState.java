package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.gateway.GatewayProtocol.Excluded;
import io.fedpipe.cluster.gateway.GatewayProtocol.JobState;
import io.fedpipe.cluster.gateway.GatewayProtocol.NodeMetrics;
import io.fedpipe.cluster.gateway.GatewayProtocol.PlanChange;
import io.fedpipe.cluster.gateway.GatewayProtocol.PlanRow;
import io.fedpipe.cluster.gateway.GatewayProtocol.RoundMetrics;
import io.fedpipe.cluster.persistence.PersistedJson;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.JobProtocol.NodeRoundStats;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.scheduler.SchedulerEvent.PartitionClosed;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The scheduler's durable state: known nodes and every job, rebuilt by {@link #apply} from the
 * journal (and persisted as a JSON snapshot). Immutable: every event yields a new state.
 *
 * <p>Slow-node hysteresis lives here because it is derived from journaled facts: when a round
 * closes, a node whose measured training time exceeds its planned finish time by more than
 * {@link #SLOW_FACTOR} extends its streak, any other node resets it; the scheduler re-plans when a
 * streak reaches {@link #SLOW_ROUNDS}.
 */
public record SchedulerState(Map<String, NodeEntry> nodes, Map<String, JobEntry> jobs) implements PersistedJson {

    /** Measured / planned time above which a round counts as slow. */
    public static final double SLOW_FACTOR = 1.5;
    /** Slow rounds in a row that trigger a re-plan. */
    public static final int SLOW_ROUNDS = 2;

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

    /**
     * One job.
     *
     * @param prepared    participants that have loaded the job (a node that left is removed until it prepares again)
     * @param round       the round now open, 0 before the first
     * @param closed      partitions that closed {@code round}
     * @param slowStreak  per node, slow rounds in a row under the current plan
     * @param interrupted the open round was re-issued by a scheduler that recovered: its timings include the
     *                    fail-over and do not count toward slowness
     */
    public record JobEntry(JobSpec job, String name, JobState state, String reason, List<String> participants,
            Map<String, Prepared> prepared, Map<String, String> refused, List<String> selected, double roundSeconds,
            List<PlanRow> plan, List<Excluded> excluded, int round, Instant roundOpenedAt,
            Map<Integer, PartitionClosed> closed, List<RoundMetrics> history, List<PlanChange> planChanges,
            Map<String, Integer> slowStreak, Map<String, Double> lastFactor, boolean interrupted) {

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
            slowStreak = Map.copyOf(slowStreak);
            lastFactor = Map.copyOf(lastFactor);
        }

        static JobEntry submitted(JobSpec job, String name, List<String> participants) {
            return new JobEntry(job, name, JobState.PREPARING, "", participants, Map.of(), Map.of(), List.of(), 0,
                    List.of(), List.of(), 0, null, Map.of(), List.of(), List.of(), Map.of(), Map.of(), false);
        }

        /** Every participant answered PrepareJob (prepared or refused). */
        public boolean allAnswered() {
            return participants.stream().allMatch(n -> prepared.containsKey(n) || refused.containsKey(n));
        }

        /** Every partition closed the open round. */
        public boolean roundComplete() {
            return round > 0 && closed.size() >= job.partitions();
        }

        /** The nodes of the current plan. */
        public List<String> plannedNodes() {
            return plan.stream().map(PlanRow::nodeId).toList();
        }

        Builder edit() {
            return new Builder(this);
        }
    }

    /** Copy-and-change for {@link JobEntry}, used only by {@link #apply}. */
    static final class Builder {
        JobSpec job; String name; JobState state; String reason; List<String> participants;
        Map<String, Prepared> prepared; Map<String, String> refused; List<String> selected; double roundSeconds;
        List<PlanRow> plan; List<Excluded> excluded; int round; Instant roundOpenedAt;
        Map<Integer, PartitionClosed> closed; List<RoundMetrics> history; List<PlanChange> planChanges;
        Map<String, Integer> slowStreak; Map<String, Double> lastFactor; boolean interrupted;

        Builder(JobEntry j) {
            job = j.job(); name = j.name(); state = j.state(); reason = j.reason(); participants = j.participants();
            prepared = new TreeMap<>(j.prepared()); refused = new TreeMap<>(j.refused()); selected = j.selected();
            roundSeconds = j.roundSeconds(); plan = j.plan(); excluded = j.excluded(); round = j.round();
            roundOpenedAt = j.roundOpenedAt(); closed = new TreeMap<>(j.closed()); history = new ArrayList<>(j.history());
            planChanges = new ArrayList<>(j.planChanges()); slowStreak = new TreeMap<>(j.slowStreak());
            lastFactor = new TreeMap<>(j.lastFactor()); interrupted = j.interrupted();
        }

        JobEntry build() {
            return new JobEntry(job, name, state, reason, participants, prepared, refused, selected, roundSeconds, plan,
                    excluded, round, roundOpenedAt, closed, history, planChanges, slowStreak, lastFactor, interrupted);
        }
    }

    public JobEntry job(String jobId) {
        return jobs.get(jobId);
    }

    /** Nodes that are up, by id. */
    public List<String> upNodes() {
        return nodes.values().stream().filter(NodeEntry::up).map(n -> n.profile().nodeId()).sorted().toList();
    }

    public SchedulerState apply(SchedulerEvent event) {
        if (event instanceof SchedulerEvent.NodeJoined e) {
            NodeEntry old = nodes.get(e.profile().nodeId());
            return withNode(new NodeEntry(e.profile(), true, old == null ? 1.0 : old.slowdown(), ""));
        } else if (event instanceof SchedulerEvent.NodeLeft e) {
            NodeEntry old = nodes.get(e.nodeId());
            SchedulerState s = old == null ? this : withNode(new NodeEntry(old.profile(), false, old.slowdown(), e.reason()));
            // Its trainer lost (or may have lost) the loaded job: it must prepare again when it returns.
            Map<String, JobEntry> next = new LinkedHashMap<>(s.jobs);
            s.jobs.forEach((id, j) -> {
                if (!j.state().over() && j.prepared().containsKey(e.nodeId())) {
                    Builder b = j.edit();
                    b.prepared.remove(e.nodeId());
                    next.put(id, b.build());
                }
            });
            return new SchedulerState(s.nodes, next);
        } else if (event instanceof SchedulerEvent.NodeSlowed e) {
            NodeEntry old = nodes.get(e.nodeId());
            SchedulerState s = old == null ? this
                    : withNode(new NodeEntry(old.profile(), old.up(), old.slowdown() * e.factor(), old.leftReason()));
            return s.editJob(e.jobId(), b -> b.slowStreak.remove(e.nodeId()));
        } else if (event instanceof SchedulerEvent.JobSubmitted e) {
            Map<String, JobEntry> next = new LinkedHashMap<>(jobs);
            next.put(e.job().jobId(), JobEntry.submitted(e.job(), e.name(), e.participants()));
            return new SchedulerState(nodes, next);
        } else if (event instanceof SchedulerEvent.NodePrepared e) {
            return editJob(e.jobId(), b -> {
                b.prepared.put(e.nodeId(), new Prepared(e.trainExamples(), e.importance(), e.probeSeconds()));
                b.refused.remove(e.nodeId());
            });
        } else if (event instanceof SchedulerEvent.NodeRefused e) {
            return editJob(e.jobId(), b -> {
                b.refused.put(e.nodeId(), e.reason());
                b.prepared.remove(e.nodeId());
            });
        } else if (event instanceof SchedulerEvent.PlanChosen e) {
            return editJob(e.jobId(), b -> {
                b.state = JobState.RUNNING;
                b.selected = e.selected();
                b.roundSeconds = e.roundSeconds();
                b.plan = e.rows();
                b.excluded = e.excluded();
            });
        } else if (event instanceof SchedulerEvent.PlanChanged e) {
            return editJob(e.jobId(), b -> {
                b.roundSeconds = e.roundSeconds();
                b.plan = e.rows();
                b.excluded = e.excluded();
                b.planChanges.add(new PlanChange(e.beforeRound(), e.reason(),
                        e.rows().stream().map(PlanRow::nodeId).toList()));
                b.slowStreak.clear();
            });
        } else if (event instanceof SchedulerEvent.RoundOpened e) {
            return editJob(e.jobId(), b -> {
                b.round = e.round();
                b.roundOpenedAt = e.at();
                b.closed.clear();
                b.interrupted = false;
            });
        } else if (event instanceof SchedulerEvent.RoundResumed e) {
            return editJob(e.jobId(), b -> {
                if (e.round() == b.round) {
                    b.interrupted = true;
                }
            });
        } else if (event instanceof PartitionClosed e) {
            return editJob(e.jobId(), b -> {
                if (e.round() != b.round || b.closed.containsKey(e.partition())) {
                    return;
                }
                b.closed.put(e.partition(), e);
                if (b.closed.size() >= b.job.partitions()) {
                    closeRound(b);
                }
            });
        } else if (event instanceof SchedulerEvent.JobFinished e) {
            return editJob(e.jobId(), b -> b.state = JobState.FINISHED);
        } else if (event instanceof SchedulerEvent.JobCancelled e) {
            return editJob(e.jobId(), b -> {
                b.state = JobState.CANCELLED;
                b.reason = e.reason();
            });
        } else if (event instanceof SchedulerEvent.JobFailed e) {
            return editJob(e.jobId(), b -> {
                b.state = JobState.FAILED;
                b.reason = e.reason();
            });
        }
        throw new IllegalArgumentException("unknown scheduler event " + event.getClass().getName());
    }

    /** All partitions closed: per-node metrics over partitions and the slow streaks. */
    private static void closeRound(Builder b) {
        Map<String, double[]> times = new TreeMap<>(); // compute, train, loss
        Map<String, long[]> bytes = new TreeMap<>(); // up, down
        List<String> failures = new ArrayList<>();
        Instant last = b.roundOpenedAt;
        for (PartitionClosed p : b.closed.values()) {
            for (NodeRoundStats s : p.nodes()) {
                double[] t = times.computeIfAbsent(s.nodeId(), k -> new double[] {0, 0, Double.NaN});
                t[0] = Math.max(t[0], s.computeSeconds());
                t[1] = Math.max(t[1], s.trainMillis() / 1000.0);
                if (Double.isFinite(s.lastLoss())) {
                    t[2] = s.lastLoss();
                }
                long[] by = bytes.computeIfAbsent(s.nodeId(), k -> new long[2]);
                by[0] += s.bytesUp();
                by[1] += s.bytesDown();
            }
            p.failures().forEach(f -> {
                if (!failures.contains(f)) {
                    failures.add(f);
                }
            });
            if (last == null || p.closedAt().isAfter(last)) {
                last = p.closedAt();
            }
        }
        Map<String, Double> planned = new TreeMap<>();
        b.plan.forEach(r -> planned.put(r.nodeId(), r.plannedComputeSeconds()));
        // What a node's train time (slices in to upload out, emulated links included) is held against: its
        // planned finish, which counts the same transfers. Against the compute alone a node on a slow link
        // looked 50x slow every round, and the slowdown that followed made the job impossible to re-plan.
        Map<String, Double> expected = new TreeMap<>();
        b.plan.forEach(r -> expected.put(r.nodeId(),
                r.plannedFinishSeconds() > 0 ? r.plannedFinishSeconds() : r.plannedComputeSeconds()));
        List<NodeMetrics> metrics = new ArrayList<>();
        // A round that closed with failures waited for its deadline, and one re-issued after a fail-over
        // includes the fail-over: their times say nothing about a node's speed, so streaks stay as they were.
        boolean measures = failures.isEmpty() && !b.interrupted;
        Map<String, Integer> streak = measures ? new TreeMap<>() : b.slowStreak;
        times.forEach((node, t) -> {
            double plan = planned.getOrDefault(node, Double.NaN);
            long[] by = bytes.get(node);
            metrics.add(new NodeMetrics(node, t[0], t[1], plan, by[0], by[1], t[2]));
            double measured = t[1] > 0 ? t[1] : t[0];
            double reference = expected.getOrDefault(node, Double.NaN);
            if (measures && reference > 0 && measured > SLOW_FACTOR * reference) {
                streak.put(node, b.slowStreak.getOrDefault(node, 0) + 1);
                b.lastFactor.put(node, measured / reference);
            }
        });
        b.slowStreak = streak;
        double seconds = b.roundOpenedAt == null ? 0 : Duration.between(b.roundOpenedAt, last).toMillis() / 1000.0;
        b.history.add(new RoundMetrics(b.round, seconds, metrics, failures, Double.NaN));
    }

    private SchedulerState withNode(NodeEntry n) {
        Map<String, NodeEntry> next = new LinkedHashMap<>(nodes);
        next.put(n.profile().nodeId(), n);
        return new SchedulerState(next, jobs);
    }

    private SchedulerState editJob(String jobId, java.util.function.Consumer<Builder> change) {
        JobEntry j = jobs.get(jobId);
        if (j == null) {
            return this;
        }
        Builder b = j.edit();
        change.accept(b);
        Map<String, JobEntry> next = new LinkedHashMap<>(jobs);
        next.put(jobId, b.build());
        return new SchedulerState(nodes, next);
    }
}
