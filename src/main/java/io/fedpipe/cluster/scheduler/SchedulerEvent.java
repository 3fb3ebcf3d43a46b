package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.protocol.PersistedJson;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.JobProtocol.NodeRoundStats;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.scheduler.SchedulerState.NodeEntry;
import io.fedpipe.cluster.scheduler.SchedulerState.PlanChange;
import io.fedpipe.cluster.scheduler.SchedulerState.Prepared;
import io.fedpipe.round.RoundLoop;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Facts the scheduler singleton journals, past tense; its state ({@link SchedulerState}) is rebuilt
 * from them after a fail-over, each event applying its own change ({@link #applyTo}). The journal
 * keeps its own types (not the gateway's client types), so a client-facing change cannot break
 * recovery. Matrices are written as {@code layer.target} strings so that the JSON stays readable
 * and needs no key deserializers.
 */
public sealed interface SchedulerEvent extends PersistedJson {

    /** The state after this event. */
    SchedulerState applyTo(SchedulerState s);

    /**
     * One node's part of a plan, as journaled.
     *
     * @param ranks per LoRA target key, the node's rank
     */
    record PlannedNode(String nodeId, String bits, int batch, Map<String, Integer> ranks, int steps,
            double plannedComputeSeconds, double plannedFinishSeconds, long memoryBytes, long memoryBudget) {
        public PlannedNode {
            ranks = Map.copyOf(ranks);
        }
    }

    /** A node the planner left out, and why. */
    record LeftOut(String nodeId, String reason) {}

    /** A node registered with this profile (again, after a restart: the newer profile wins). */
    record NodeJoined(NodeProfile profile, Instant at) implements SchedulerEvent {
        public NodeJoined {
            if (profile == null || at == null) {
                throw new IllegalArgumentException("a joined node needs its profile and a time");
            }
        }

        @Override
        public SchedulerState applyTo(SchedulerState s) {
            NodeEntry old = s.nodes().get(profile.nodeId());
            return s.withNode(new NodeEntry(profile, true, old == null ? 1.0 : old.slowdown(), ""));
        }
    }

    /** A node left the cluster or was downed; the scheduler plans without it. */
    record NodeLeft(String nodeId, String reason, Instant at) implements SchedulerEvent {
        public NodeLeft {
            if (nodeId == null || nodeId.isBlank() || at == null) {
                throw new IllegalArgumentException("a left node needs its id and a time");
            }
            reason = reason == null ? "unknown" : reason;
        }

        @Override
        public SchedulerState applyTo(SchedulerState s) {
            return s.nodeLeft(nodeId, reason);
        }
    }

    /**
     * A node ran slower than planned for several rounds in a row; {@code factor} = measured /
     * planned time. The planner sees the node {@code factor} times slower from now on.
     */
    record NodeSlowed(String nodeId, String jobId, int round, double factor, Instant at) implements SchedulerEvent {
        @Override
        public SchedulerState applyTo(SchedulerState s) {
            NodeEntry old = s.nodes().get(nodeId);
            SchedulerState n = old == null ? s
                    : s.withNode(new NodeEntry(old.profile(), old.up(), old.slowdown() * factor, old.leftReason()));
            return n.editJob(jobId, j -> j.withLoop(new RoundLoop.NodeSlowed(nodeId, round, factor)));
        }
    }

    /** A job was accepted; {@code participants} (sorted) are its edge nodes, shard i going to the i-th. */
    record JobSubmitted(JobSpec job, String name, List<String> participants, Instant at)
            implements SchedulerEvent {
        public JobSubmitted {
            participants = List.copyOf(participants);
        }

        @Override
        public SchedulerState applyTo(SchedulerState s) {
            return s.withJob(SchedulerState.JobEntry.submitted(job, name, participants));
        }
    }

    /** A node has loaded the job; {@code importance} is empty when no probe was asked. */
    record NodePrepared(String jobId, String nodeId, int trainExamples, Map<String, Double> importance,
            double probeSeconds, Instant at) implements SchedulerEvent {
        public NodePrepared {
            importance = Map.copyOf(importance);
        }

        @Override
        public SchedulerState applyTo(SchedulerState s) {
            return s.editJob(jobId, j -> {
                Map<String, Prepared> prepared = new TreeMap<>(j.prepared());
                Map<String, String> refused = new TreeMap<>(j.refused());
                prepared.put(nodeId, new Prepared(trainExamples, importance, probeSeconds));
                refused.remove(nodeId);
                return j.withPrepared(prepared, refused);
            });
        }
    }

    /** A node cannot take part in the job. */
    record NodeRefused(String jobId, String nodeId, String reason, Instant at) implements SchedulerEvent {
        @Override
        public SchedulerState applyTo(SchedulerState s) {
            return s.editJob(jobId, j -> {
                Map<String, Prepared> prepared = new TreeMap<>(j.prepared());
                Map<String, String> refused = new TreeMap<>(j.refused());
                refused.put(nodeId, reason);
                prepared.remove(nodeId);
                return j.withPrepared(prepared, refused);
            });
        }
    }

    /** The job's first plan: which matrices get adapters and what every node does. */
    record PlanChosen(String jobId, List<String> selected, double roundSeconds, List<PlannedNode> rows,
            List<LeftOut> excluded, Instant at) implements SchedulerEvent {
        public PlanChosen {
            selected = List.copyOf(selected);
            rows = List.copyOf(rows);
            excluded = List.copyOf(excluded);
        }

        @Override
        public SchedulerState applyTo(SchedulerState s) {
            return s.editJob(jobId, j -> j.withPlan(selected, roundSeconds, rows, excluded, j.planChanges())
                    .withLoop(loopFact(1, "", rows, excluded)));
        }
    }

    /** A re-plan before round {@code beforeRound} (a node left, returned or ran slow). */
    record PlanChanged(String jobId, int beforeRound, String reason, double roundSeconds, List<PlannedNode> rows,
            List<LeftOut> excluded, Instant at) implements SchedulerEvent {
        public PlanChanged {
            rows = List.copyOf(rows);
            excluded = List.copyOf(excluded);
        }

        @Override
        public SchedulerState applyTo(SchedulerState s) {
            return s.editJob(jobId, j -> {
                List<PlanChange> changes = new ArrayList<>(j.planChanges());
                changes.add(new PlanChange(beforeRound, reason, rows.stream().map(PlannedNode::nodeId).toList()));
                return j.withPlan(j.selected(), roundSeconds, rows, excluded, changes)
                        .withLoop(loopFact(beforeRound, reason, rows, excluded));
            });
        }
    }

    /** Round {@code round} was opened on every partition. */
    record RoundOpened(String jobId, int round, Instant at) implements SchedulerEvent {
        @Override
        public SchedulerState applyTo(SchedulerState s) {
            return s.editJob(jobId, j -> j.withRound(at, Map.of(), j.history(), false)
                    .withLoop(new RoundLoop.RoundOpened(round)));
        }
    }

    /**
     * A recovered scheduler re-issued round {@code round}, which was open when the previous one
     * stopped: the round's timings include the fail-over and do not count toward slowness.
     */
    record RoundResumed(String jobId, int round, Instant at) implements SchedulerEvent {
        @Override
        public SchedulerState applyTo(SchedulerState s) {
            return s.editJob(jobId, j -> round == j.round()
                    ? j.withRound(j.roundOpenedAt(), j.closed(), j.history(), true) : j);
        }
    }

    /** One aggregator partition closed the current round. */
    record PartitionClosed(String jobId, int round, int partition, List<NodeRoundStats> nodes, List<String> failures,
            Instant closedAt) implements SchedulerEvent {
        public PartitionClosed {
            nodes = List.copyOf(nodes);
            failures = List.copyOf(failures);
        }

        @Override
        public SchedulerState applyTo(SchedulerState s) {
            return s.partitionClosed(this);
        }
    }

    record JobFinished(String jobId, Instant at) implements SchedulerEvent {
        @Override
        public SchedulerState applyTo(SchedulerState s) {
            return s.editJob(jobId, j -> j.withLoop(new RoundLoop.Finished(j.round())));
        }
    }

    /**
     * A finished causal-LM job was decoded and scored by one node (see
     * {@code JobProtocol.EvaluateJob}); {@code error} says why not, with empty scores.
     *
     * @param base  the base model's scores by metric name
     * @param tuned the fine-tuned (merged) model's scores by metric name
     */
    record JobScored(String jobId, String nodeId, int prompts, String decoding, Map<String, Double> base,
            Map<String, Double> tuned, List<Sample> examples, double seconds, String error, Instant at)
            implements SchedulerEvent {
        public JobScored {
            base = Map.copyOf(base);
            tuned = Map.copyOf(tuned);
            examples = List.copyOf(examples);
        }

        @Override
        public SchedulerState applyTo(SchedulerState s) {
            return s.editJob(jobId, j -> j.withEvaluation(this));
        }
    }

    /** One decoded test prompt, as journaled. */
    record Sample(String prompt, String before, String after, String reference) {}

    record JobCancelled(String jobId, String reason, Instant at) implements SchedulerEvent {
        @Override
        public SchedulerState applyTo(SchedulerState s) {
            return s.editJob(jobId, j -> j.withReason(reason).withLoop(new RoundLoop.Cancelled(reason)));
        }
    }

    /** The job cannot go on (no node prepared it, nothing fits, every node left). */
    record JobFailed(String jobId, String reason, Instant at) implements SchedulerEvent {
        @Override
        public SchedulerState applyTo(SchedulerState s) {
            return s.editJob(jobId, j -> j.withReason(reason).withLoop(new RoundLoop.Failed(reason)));
        }
    }

    /** The loop's fact for a journaled plan (the loop needs only who is in it and who was left out). */
    static RoundLoop.PlanAdopted<Void> loopFact(int beforeRound, String reason, List<PlannedNode> rows,
            List<LeftOut> excluded) {
        return new RoundLoop.PlanAdopted<>(beforeRound, reason, rows.stream().map(PlannedNode::nodeId).toList(),
                excluded.stream().map(LeftOut::nodeId).toList(), null);
    }
}
