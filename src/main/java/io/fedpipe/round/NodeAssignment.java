package io.fedpipe.round;

import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.core.MatrixId;
import io.fedpipe.core.HostTensor;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the aggregator sends one node at the start of a round: its plan, the adapters to start
 * from (at the plan's ranks; a planned matrix missing here starts from a fresh LoRA init, B = 0)
 * and the dense tensors (the head). Host arrays only: this is the message payload.
 *
 * <p>{@code round} is the job's round, 1..n, the number the round loop, the scheduler's journal,
 * every message and the reports use. What a round seeds (each node's batches and dropout, the
 * importance probe before it) is seeded by {@link #seedIndex(int)}, which counts from 0: the
 * numbers the seeds were drawn with before the data plane took the job's round number, so that
 * results stay bit for bit the same.
 *
 * @param round    the round number, from 1
 * @param plan     what the node trains
 * @param adapters starting adapter per planned matrix, each of the planned rank
 * @param dense    dense tensors by name
 */
public record NodeAssignment(int round, NodeRoundPlan plan, Map<MatrixId, ScaledAdapter> adapters,
        Map<String, HostTensor> dense) {

    public NodeAssignment {
        if (round < 1) {
            throw new IllegalArgumentException("rounds are numbered from 1, got round " + round);
        }
        adapters = Collections.unmodifiableMap(new TreeMap<>(adapters));
        dense = Collections.unmodifiableMap(new TreeMap<>(dense));
        for (Map.Entry<MatrixId, ScaledAdapter> e : adapters.entrySet()) {
            Integer planned = plan.ranks().get(e.getKey());
            if (planned == null || planned != e.getValue().rank()) {
                throw new IllegalArgumentException("node " + plan.nodeId() + " is sent a rank-" + e.getValue().rank()
                        + " adapter for " + e.getKey() + " but its plan says rank " + planned);
            }
        }
    }

    public String nodeId() {
        return plan.nodeId();
    }

    /** The seed index of this assignment's round: {@link #seedIndex(int)} of {@link #round()}. */
    public int seedIndex() {
        return seedIndex(round);
    }

    /**
     * The one mapping from a round (1..n) to the index its seeds are drawn with (0..n-1): round 1
     * seeds as the first round always has (index 0). Everything a round seeds goes through here.
     */
    public static int seedIndex(int round) {
        if (round < 1) {
            throw new IllegalArgumentException("rounds are numbered from 1, got round " + round);
        }
        return round - 1;
    }

    /** Bytes on the wire as float32: every adapter factor and dense tensor sent. */
    public long bytes() {
        long floats = 0;
        for (ScaledAdapter a : adapters.values()) {
            floats += a.adapter().a().data().length + a.adapter().b().data().length;
        }
        return 4 * (floats + denseFloats(dense));
    }

    static long denseFloats(Map<String, HostTensor> dense) {
        long floats = 0;
        for (HostTensor t : dense.values()) {
            floats += t.data().length;
        }
        return floats;
    }
}
