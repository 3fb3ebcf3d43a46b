package io.fedpipe.cluster.trainer;

import io.fedpipe.cluster.protocol.Partitioning;
import io.fedpipe.cluster.protocol.RoundProtocol.RoundAssignment;
import io.fedpipe.round.NodeAssignment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The slices of each job's latest round as they come from the aggregator partitions, and the
 * rounds whose every slice is in, in the order they completed: a trainer trains a round only once
 * it holds one slice per partition. A slice of a newer round replaces the round being collected;
 * a re-sent slice replaces the earlier one, so each partition is answered at its latest address.
 */
final class RoundSlices {

    /** One job's round being collected. */
    static final class Round {
        final int round;
        private final RoundAssignment[] byPartition;
        private long lastArrivalNanos;

        private Round(int round, int partitions) {
            this.round = round;
            this.byPartition = new RoundAssignment[partitions];
        }

        boolean complete() {
            for (RoundAssignment a : byPartition) {
                if (a == null) {
                    return false;
                }
            }
            return true;
        }

        String jobId() {
            return byPartition[0].jobId();
        }

        /** The slices, by partition (complete rounds only). */
        List<RoundAssignment> slices() {
            return List.of(byPartition);
        }

        /** The node's whole assignment: every partition's slice merged. */
        NodeAssignment merged() {
            List<NodeAssignment> parts = new ArrayList<>();
            for (RoundAssignment a : byPartition) {
                parts.add(a.assignment());
            }
            return Partitioning.merge(parts);
        }

        /** Bytes the node was sent for this round, over every partition. */
        long bytesDown() {
            long bytes = 0;
            for (RoundAssignment a : byPartition) {
                bytes += a.assignment().bytes();
            }
            return bytes;
        }

        /** When the last slice arrived: the round's training time runs from there. */
        long lastArrivalNanos() {
            return lastArrivalNanos;
        }
    }

    private final Map<String, Round> byJob = new HashMap<>();
    private final Deque<Round> ready = new ArrayDeque<>();

    /**
     * Why this node does not take slice {@code a}, or null: the job is not prepared here
     * ({@code partitions} = 0), the slice is another node's or names a partition the job lacks.
     */
    static String refusal(RoundAssignment a, int partitions, String nodeId) {
        if (partitions == 0) {
            return "job " + a.jobId() + " is not prepared on node " + nodeId;
        }
        if (!a.assignment().nodeId().equals(nodeId)) {
            return "the slice is for node " + a.assignment().nodeId() + ", this is node " + nodeId;
        }
        if (a.partition() >= partitions) {
            return "job " + a.jobId() + " has " + partitions + " partitions, not " + (a.partition() + 1);
        }
        return null;
    }

    /** Whether the job is already collecting a later round than {@code round}. */
    boolean isPast(String jobId, int round) {
        Round r = byJob.get(jobId);
        return r != null && r.round > round;
    }

    /** Keeps the slice (not of a past round); true when it completed its round, which is then ready. */
    boolean add(RoundAssignment a, int partitions) {
        int round = a.assignment().round();
        Round r = byJob.get(a.jobId());
        if (r == null || r.round < round) {
            r = new Round(round, partitions);
            byJob.put(a.jobId(), r);
        }
        boolean wasComplete = r.complete();
        r.byPartition[a.partition()] = a;
        r.lastArrivalNanos = System.nanoTime();
        if (!wasComplete && r.complete()) {
            ready.add(r);
            return true;
        }
        return false;
    }

    /** The next complete round to train, or null. */
    Round nextReady() {
        return ready.poll();
    }

    /** Forgets the job's slices and ready rounds. */
    void remove(String jobId) {
        byJob.remove(jobId);
        ready.removeIf(r -> r.jobId().equals(jobId));
    }
}
