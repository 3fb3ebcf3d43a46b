package io.fedpipe.cluster.trainer;

import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.cluster.protocol.RoundProtocol.DeltaAck;
import io.fedpipe.cluster.protocol.RoundProtocol.DeltaUpload;
import io.fedpipe.round.LocalResult;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Each job's last trained round, split by partition, kept to answer an assignment re-issued for
 * it (the aggregator moved or restarted) with the same upload instead of training again; the
 * aggregator takes it or acknowledges it as a duplicate.
 */
final class TrainedRounds {

    /**
     * A trained round. {@code trainMillis}: slices-to-upload time measured at the first upload (NaN
     * before it); a re-sent upload reports it again, so that a round re-issued after a fail-over
     * does not look slow.
     */
    record Trained(int round, List<NodeUpdate> parts, LocalResult result, long startNanos, double trainMillis) {}

    private final Map<String, Trained> byJob = new HashMap<>();

    /** The job's last trained round, or null. */
    Trained get(String jobId) {
        return byJob.get(jobId);
    }

    /** Whether the job already trained a later round than {@code round}. */
    boolean isPast(String jobId, int round) {
        Trained t = byJob.get(jobId);
        return t != null && t.round() > round;
    }

    void put(String jobId, int round, List<NodeUpdate> parts, LocalResult result, long startNanos) {
        byJob.put(jobId, new Trained(round, parts, result, startNanos, Double.NaN));
    }

    /** The round as first uploaded now, its train time fixed; null if {@code round} is not the job's last. */
    Trained firstUpload(String jobId, int round) {
        Trained t = byJob.get(jobId);
        if (t == null || t.round() != round) {
            return null;
        }
        t = new Trained(t.round(), t.parts(), t.result(), t.startNanos(), (System.nanoTime() - t.startNanos()) / 1e6);
        byJob.put(jobId, t);
        return t;
    }

    void remove(String jobId) {
        byJob.remove(jobId);
    }

    /** Partition {@code partition}'s part of the round as an upload answered to {@code replyTo}. */
    static DeltaUpload upload(String jobId, int partition, Trained t, ActorRef<DeltaAck> replyTo) {
        double millis = Double.isNaN(t.trainMillis()) ? (System.nanoTime() - t.startNanos()) / 1e6 : t.trainMillis();
        return new DeltaUpload(jobId, partition, t.round(), t.parts().get(partition), t.result().computeSeconds(),
                t.result().lastLoss(), millis, t.result().validation(), replyTo);
    }
}
