package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.gateway.GatewayProtocol.Excluded;
import io.fedpipe.cluster.gateway.GatewayProtocol.PlanRow;
import io.fedpipe.cluster.persistence.PersistedJson;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.JobProtocol.NodeRoundStats;
import io.fedpipe.cluster.protocol.NodeProfile;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Facts the scheduler singleton journals; its state ({@link SchedulerState}) is rebuilt from them
 * after a fail-over. Matrices are written as {@code layer.target} strings so that the JSON stays
 * readable and needs no key deserializers.
 */
public sealed interface SchedulerEvent extends PersistedJson {

    /** A node registered with this profile (again, after a restart: the newer profile wins). */
    record NodeJoined(NodeProfile profile, Instant at) implements SchedulerEvent {
        public NodeJoined {
            if (profile == null || at == null) {
                throw new IllegalArgumentException("a joined node needs its profile and a time");
            }
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
    }

    /**
     * A node ran slower than planned for several rounds in a row; {@code factor} = measured /
     * planned time. The planner sees the node {@code factor} times slower from now on.
     */
    record NodeSlowed(String nodeId, String jobId, int round, double factor, Instant at) implements SchedulerEvent {}

    /** A job was accepted; {@code participants} (sorted) are its edge nodes, shard i going to the i-th. */
    record JobSubmitted(JobSpec job, String name, List<String> participants, Instant at)
            implements SchedulerEvent {
        public JobSubmitted {
            participants = List.copyOf(participants);
        }
    }

    /** A node has loaded the job; {@code importance} is empty when no probe was asked. */
    record NodePrepared(String jobId, String nodeId, int trainExamples, Map<String, Double> importance,
            double probeSeconds, Instant at) implements SchedulerEvent {
        public NodePrepared {
            importance = Map.copyOf(importance);
        }
    }

    /** A node cannot take part in the job. */
    record NodeRefused(String jobId, String nodeId, String reason, Instant at) implements SchedulerEvent {}

    /** The job's first plan: which matrices get adapters and what every node does. */
    record PlanChosen(String jobId, List<String> selected, double roundSeconds, List<PlanRow> rows,
            List<Excluded> excluded, Instant at) implements SchedulerEvent {
        public PlanChosen {
            selected = List.copyOf(selected);
            rows = List.copyOf(rows);
            excluded = List.copyOf(excluded);
        }
    }

    /** A re-plan before round {@code beforeRound} (a node left, returned or ran slow). */
    record PlanChanged(String jobId, int beforeRound, String reason, double roundSeconds, List<PlanRow> rows,
            List<Excluded> excluded, Instant at) implements SchedulerEvent {
        public PlanChanged {
            rows = List.copyOf(rows);
            excluded = List.copyOf(excluded);
        }
    }

    /** Round {@code round} was opened on every partition. */
    record RoundOpened(String jobId, int round, Instant at) implements SchedulerEvent {}

    /**
     * A recovered scheduler re-issued round {@code round}, which was open when the previous one
     * stopped: the round's timings include the fail-over and do not count toward slowness.
     */
    record RoundResumed(String jobId, int round, Instant at) implements SchedulerEvent {}

    /** One aggregator partition closed the current round. */
    record PartitionClosed(String jobId, int round, int partition, List<NodeRoundStats> nodes, List<String> failures,
            Instant closedAt) implements SchedulerEvent {
        public PartitionClosed {
            nodes = List.copyOf(nodes);
            failures = List.copyOf(failures);
        }
    }

    record JobFinished(String jobId, Instant at) implements SchedulerEvent {}

    record JobCancelled(String jobId, String reason, Instant at) implements SchedulerEvent {}

    /** The job cannot go on (no node prepared it, nothing fits, every node left). */
    record JobFailed(String jobId, String reason, Instant at) implements SchedulerEvent {}
}
