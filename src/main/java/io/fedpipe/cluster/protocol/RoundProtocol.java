package io.fedpipe.cluster.protocol;

import io.fedpipe.aggregation.Failure;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.aggregation.Rejection;
import io.fedpipe.round.LocalEvaluation;
import io.fedpipe.round.NodeAssignment;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Between an aggregator partition ({@code jobId/partition}) and the trainers of a round. The
 * assignment and the upload carry adapter slices, so they travel on Artery's large-message lane
 * (cluster.conf, {@code large-message-destinations}); every message names job, partition and
 * round so that duplicates and stale deltas can be told apart (DESIGN.md §6). The round is the
 * job's, 1..n, the same number the scheduler opened it with.
 */
public interface RoundProtocol {

    /**
     * Aggregator to trainer: train this round from these adapters. {@code assignment.plan()} is the
     * node's whole plan (every partition's matrices), so the trainer knows it has all slices once
     * one has come from each of the job's partitions; the adapters are only this partition's, and
     * the dense tensors (the head) come from partition 0 (none in round 1: the trainer starts from
     * the job's seeded head, as every node does).
     */
    record RoundAssignment(String jobId, int partition, NodeAssignment assignment, ActorRef<TrainerReply> replyTo)
            implements JobProtocol.TrainerCommand {
        public RoundAssignment {
            checkIds(jobId, partition, assignment == null ? -1 : assignment.round());
            if (replyTo == null) {
                throw new IllegalArgumentException("a round assignment needs a reply address");
            }
        }
    }

    /**
     * What a trainer answers an assignment with: its delta or why it will not train. An aggregator
     * command too, so the partition's entity is itself the reply address.
     */
    sealed interface TrainerReply extends JobProtocol.AggregatorCommand permits DeltaUpload, RoundDeclined {}

    /**
     * Trainer to aggregator: the adapters it trained in {@code round} (this partition's part of
     * them) and how the training went, for the round's statistics.
     *
     * @param computeSeconds measured compute of the local steps on this node
     * @param lastLoss       loss of the last step (NaN when every step was skipped)
     * @param trainMillis    wall time from the last slice received to this upload, emulated
     *                       slowness and link delays included
     * @param validation     the node's trained model on its own held-out split (the same in every
     *                       partition's upload)
     */
    record DeltaUpload(String jobId, int partition, int round, NodeUpdate update, double computeSeconds,
            double lastLoss, double trainMillis, LocalEvaluation validation, ActorRef<DeltaAck> replyTo)
            implements TrainerReply {
        public DeltaUpload {
            checkIds(jobId, partition, round);
            if (update == null || replyTo == null) {
                throw new IllegalArgumentException("a delta upload needs an update and a reply address");
            }
            validation = validation == null ? LocalEvaluation.NONE : validation;
        }

        /** An upload from a node without a local evaluation. */
        public DeltaUpload(String jobId, int partition, int round, NodeUpdate update, double computeSeconds,
                double lastLoss, double trainMillis, ActorRef<DeltaAck> replyTo) {
            this(jobId, partition, round, update, computeSeconds, lastLoss, trainMillis, LocalEvaluation.NONE, replyTo);
        }
    }

    /** Trainer to aggregator: the node will not train this round (its plan does not fit, data missing). */
    record RoundDeclined(String jobId, int partition, int round, Failure failure) implements TrainerReply {
        public RoundDeclined {
            checkIds(jobId, partition, round);
            if (failure == null) {
                throw new IllegalArgumentException("a declined round needs its reason");
            }
        }
    }

    /** How the aggregator took a delta. */
    enum Outcome {
        /** Counted in the round (possibly with some entries rejected). */
        ACCEPTED,
        /** Already received from this node for this round; ignored. */
        DUPLICATE,
        /** For a round that is already closed; ignored. */
        STALE,
        /** Nothing of it could be used; see the rejections. */
        REJECTED
    }

    /** Aggregator to trainer: the fate of its delta, with what was left out and why. */
    record DeltaAck(String jobId, int partition, int round, String nodeId, Outcome outcome, List<Rejection> rejections)
            implements JobProtocol.TrainerCommand {
        public DeltaAck {
            checkIds(jobId, partition, round);
            if (nodeId == null || outcome == null) {
                throw new IllegalArgumentException("a delta ack needs a node id and an outcome");
            }
            rejections = rejections == null ? List.of() : List.copyOf(rejections);
        }
    }

    private static void checkIds(String jobId, int partition, int round) {
        if (jobId == null || jobId.isBlank()) {
            throw new IllegalArgumentException("round message without a job id");
        }
        if (partition < 0 || round < 1) {
            throw new IllegalArgumentException("job " + jobId + ": partition must be >= 0 and round >= 1 (rounds"
                    + " are numbered from 1), got " + partition + " and " + round);
        }
    }
}
