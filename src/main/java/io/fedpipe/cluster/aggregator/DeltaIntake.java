package io.fedpipe.cluster.aggregator;

import io.fedpipe.aggregation.Rejection;
import io.fedpipe.cluster.protocol.RoundProtocol.DeltaAck;
import io.fedpipe.cluster.protocol.RoundProtocol.DeltaUpload;
import io.fedpipe.cluster.protocol.RoundProtocol.Outcome;
import io.fedpipe.round.GlobalModel;
import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.RoundEngine;
import java.util.List;

/**
 * How one partition takes a delta (DESIGN.md §6): misaddressed, for a round not open here or from
 * a node not planned in it: {@code REJECTED}; for a closed round: {@code STALE}; from a node that
 * already answered: {@code DUPLICATE}. Any other delta is validated by the strategy itself, a trial
 * run of the round engine's aggregation on that delta alone against what the node was sent, so
 * the node learns its rejections now and a delta with nothing usable counts as a failure (not a
 * delivery) toward the quorum. The close aggregates every delivered delta again, through the
 * same engine.
 */
final class DeltaIntake {

    /** The acknowledgement, and whether the open round changed (a delivery or a failure). */
    record Taken(DeltaAck ack, boolean counted) {}

    private DeltaIntake() {}

    /**
     * @param open       the open round, or null
     * @param roundsDone rounds closed at this partition: rounds 1..roundsDone are stale
     * @param global     the global model the open round started from
     */
    static Taken take(DeltaUpload up, String jobId, int partition, int roundsDone, RoundBarrier open,
            RoundEngine engine, GlobalModel global) {
        String node = up.update().nodeId();
        String here = Aggregator.entityId(jobId, partition);
        if (!up.jobId().equals(jobId) || up.partition() != partition) {
            return refused(up, "sent to partition " + here + " but addressed to "
                    + Aggregator.entityId(up.jobId(), up.partition()));
        }
        if (up.round() <= roundsDone) {
            return new Taken(ack(up, Outcome.STALE, List.of()), false);
        }
        if (open == null || up.round() != open.round()) {
            return refused(up, "round " + up.round() + " is not open at " + here);
        }
        if (!open.isPlanned(node)) {
            return refused(up, "node " + node + " is not planned in round " + up.round());
        }
        if (open.hasAnswered(node)) {
            return new Taken(ack(up, Outcome.DUPLICATE, List.of()), false);
        }
        NodeAssignment sent = open.sentTo(node);
        List<Rejection> rejections = engine.aggregate(List.of(sent), List.of(up.update()), List.of(), global)
                .result().rejected();
        int items = up.update().adapters().size() + up.update().dense().size();
        boolean whole = rejections.stream().anyMatch(r -> r.item().equals(Rejection.WHOLE_UPDATE));
        if (whole || items > 0 && rejections.size() >= items) {
            open.fail(node, "every entry of its delta was rejected: " + rejections);
            return new Taken(ack(up, Outcome.REJECTED, rejections), true);
        }
        open.deliver(new RoundBarrier.Delivery(up.update(), up.computeSeconds(), up.lastLoss(), up.trainMillis(),
                up.validation()));
        return new Taken(ack(up, Outcome.ACCEPTED, rejections), true);
    }

    private static Taken refused(DeltaUpload up, String reason) {
        return new Taken(ack(up, Outcome.REJECTED,
                List.of(new Rejection(up.update().nodeId(), Rejection.WHOLE_UPDATE, reason))), false);
    }

    private static DeltaAck ack(DeltaUpload up, Outcome outcome, List<Rejection> rejections) {
        return new DeltaAck(up.jobId(), up.partition(), up.round(), up.update().nodeId(), outcome, rejections);
    }
}
