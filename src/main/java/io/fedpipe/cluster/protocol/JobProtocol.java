package io.fedpipe.cluster.protocol;

import io.fedpipe.job.JobSpec;
import io.fedpipe.aggregation.Failure;
import io.fedpipe.aggregation.Rejection;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.core.MatrixId;
import io.fedpipe.core.HostTensor;
import io.fedpipe.round.NodeRoundPlan;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The contract between the control plane (scheduler singleton) and the data plane (trainers and
 * aggregator partitions) for one job. The scheduler decides who trains what in which round; the
 * aggregator partitions own the global adapters and run each round's barrier; the trainers train.
 *
 * <pre>
 *  scheduler ──PrepareJob──▶ trainer ──JobPrepared(data size, probe scores)──▶ scheduler
 *  scheduler ──OpenRound(plans, trainers)──▶ aggregator p (for every partition p)
 *  aggregator p ──RoundAssignment(slice p)──▶ trainer; trainer trains when it has every partition's slice
 *  trainer ──DeltaUpload(slice p of its update)──▶ aggregator p ──DeltaAck──▶ trainer
 *  aggregator p ──RoundClosed(summary)──▶ scheduler; when all partitions closed: next OpenRound or FinishJob
 * </pre>
 *
 * Matrix m belongs to partition {@link #partitionOf}; the dense tensors (the classification head)
 * belong to partition 0 ({@link Partitioning}). Every message names job, partition and round; the
 * round is the job's, 1..n, as in the scheduler's journal and status (the seeds a round draws
 * count from 0: {@code NodeAssignment.seedIndex}).
 *
 * <p>As built: every partition sends every planned node a slice (possibly without adapters), so
 * a trainer waits for exactly {@code job.partitions()} slices and every partition gets one upload
 * per node. Aggregator partitions are the sharded entities {@code jobId/p}; they reply to the
 * trainers as themselves. Re-issuing is safe: an {@code OpenRound} for the round that is open
 * re-sends the slices to the nodes that have not delivered; one for the last closed round is
 * answered again with its {@code RoundClosed} from the checkpoint; a trainer that already trained
 * a round re-sends its cached upload instead of training again.
 */
public interface JobProtocol {

    /** The partition that owns matrix {@code id} when a job has {@code partitions} of them. */
    static int partitionOf(MatrixId id, int partitions) {
        return Math.floorMod(id.layer() * 31 + id.target().ordinal(), partitions);
    }

    /**
     * Messages a trainer accepts: these, {@link RoundProtocol.RoundAssignment} and
     * {@link RoundProtocol.DeltaAck} (which implement it, so one trainer reference takes them all).
     */
    interface TrainerCommand extends WireMessage {}

    /**
     * Messages an aggregator partition accepts: these and the trainers' replies
     * {@link RoundProtocol.DeltaUpload} and {@link RoundProtocol.RoundDeclined} (which implement it).
     */
    interface AggregatorCommand extends WireMessage {}

    /** Messages the scheduler accepts from the data plane. */
    interface SchedulerEvent extends WireMessage {}

    /**
     * Scheduler to trainer: load the base and this node's data for the job ({@code shard} of
     * {@code shards} of a built-in task), and, when {@code probeCandidates} is not empty, run the
     * importance probe over them with {@code probeBits}/{@code probeBatch}.
     */
    record PrepareJob(JobSpec job, int shard, int shards, List<MatrixId> probeCandidates, String probeBits,
            int probeBatch, ActorRef<SchedulerEvent> replyTo) implements TrainerCommand {
        public PrepareJob {
            probeCandidates = List.copyOf(probeCandidates);
        }
    }

    /** Trainer to scheduler: ready for the job; importance scores are empty when no probe was asked. */
    record JobPrepared(String jobId, String nodeId, int trainExamples, Map<MatrixId, Double> importance,
            double probeSeconds) implements SchedulerEvent {
        public JobPrepared {
            importance = Map.copyOf(importance);
        }
    }

    /** Trainer to scheduler: it cannot take part (unknown model, missing data, plan does not fit). */
    record JobRefused(String jobId, String nodeId, String reason) implements SchedulerEvent {}

    /**
     * Scheduler to aggregator partition: open {@code round} with these plans (only this partition's
     * matrices matter to it) and send each trainer its slice. {@code trainers} maps node id to its
     * trainer. The round closes when {@code ceil(quorum · plans)} deltas arrived, or at the job's
     * timeout with at least one.
     */
    record OpenRound(JobSpec job, int partition, int round, List<NodeRoundPlan> plans,
            Map<String, ActorRef<RoundProtocol.RoundAssignment>> trainers, ActorRef<SchedulerEvent> replyTo)
            implements AggregatorCommand {
        public OpenRound {
            plans = List.copyOf(plans);
            trainers = Map.copyOf(trainers);
        }
    }

    /**
     * One node's part in a closed round, as the aggregator saw it.
     *
     * @param validationLoss     the node's trained model on its own held-out split (NaN: none)
     * @param validationExamples examples that loss is over (0: the node has no validation split)
     */
    record NodeRoundStats(String nodeId, long bytesDown, long bytesUp, double computeSeconds, double lastLoss,
            double trainMillis, double validationLoss, int validationExamples) {

        /** Stats of a node without a local evaluation. */
        public NodeRoundStats(String nodeId, long bytesDown, long bytesUp, double computeSeconds, double lastLoss,
                double trainMillis) {
            this(nodeId, bytesDown, bytesUp, computeSeconds, lastLoss, trainMillis, Double.NaN, 0);
        }
    }

    /** Aggregator partition to scheduler: {@code round} is closed and checkpointed. */
    record RoundClosed(String jobId, int partition, int round, List<NodeRoundStats> nodes, List<Rejection> rejected,
            List<Failure> failures, long closedAtMillis) implements SchedulerEvent {
        public RoundClosed {
            nodes = List.copyOf(nodes);
            rejected = List.copyOf(rejected);
            failures = List.copyOf(failures);
        }
    }

    /** Anyone to aggregator partition: its current global adapters (and, for partition 0, the dense tensors). */
    record GetGlobal(String jobId, int partition, ActorRef<GlobalSlice> replyTo) implements AggregatorCommand {}

    /** Aggregator partition's answer: the global state after {@code roundsDone} rounds (rounds 1..roundsDone). */
    record GlobalSlice(String jobId, int partition, int roundsDone, Map<MatrixId, ScaledAdapter> adapters,
            Map<String, HostTensor> dense) implements WireMessage {
        public GlobalSlice {
            adapters = Map.copyOf(adapters);
            dense = Map.copyOf(dense);
        }
    }

    /**
     * Scheduler to one trainer of a finished causal-LM job, instead of its FinishJob: fetch the global
     * adapters from every partition, decode the task's test prompts with the base and the merged
     * model, answer with {@link JobEvaluated}, then release the job.
     */
    record EvaluateJob(JobSpec job, ActorRef<SchedulerEvent> replyTo) implements TrainerCommand {}

    /** Trainer to scheduler: the finished job's generation scores (or why there are none). */
    record JobEvaluated(String jobId, GatewayProtocol.GenerationEvaluation evaluation) implements SchedulerEvent {}

    /** Scheduler to aggregator partitions and trainers: the job is over (finished or cancelled); release it. */
    record FinishJob(String jobId, String reason) implements TrainerCommand, AggregatorCommand {}
}
