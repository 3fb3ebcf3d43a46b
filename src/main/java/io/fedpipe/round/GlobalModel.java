package io.fedpipe.round;

import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.core.MatrixId;
import io.fedpipe.core.HostTensor;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The aggregator's state between rounds: the global adapters (each at the PEFT scale α/r of its
 * own rank), the dense tensors averaged by FedAvg (the classification head), and what the last
 * aggregation prepared for each node at that node's rank. Host arrays only, so it can be persisted
 * or sent as it is.
 *
 * @param roundsDone number of rounds aggregated into it (0: the starting point)
 * @param adapters   global adapter per matrix; empty before the first round
 * @param dense      dense tensors by name
 * @param perNode    per node id, the adapters the strategy prepared for it
 */
public record GlobalModel(int roundsDone, Map<MatrixId, ScaledAdapter> adapters, Map<String, HostTensor> dense,
        Map<String, Map<MatrixId, ScaledAdapter>> perNode) {

    public GlobalModel {
        if (roundsDone < 0) {
            throw new IllegalArgumentException("rounds done must be >= 0: " + roundsDone);
        }
        adapters = Collections.unmodifiableMap(new TreeMap<>(adapters));
        dense = Collections.unmodifiableMap(new TreeMap<>(dense));
        Map<String, Map<MatrixId, ScaledAdapter>> copy = new TreeMap<>();
        perNode.forEach((node, m) -> copy.put(node, Collections.unmodifiableMap(new TreeMap<>(m))));
        perNode = Collections.unmodifiableMap(copy);
    }

    /** Before the first round: no adapters yet, only the starting dense tensors (e.g. a fresh head). */
    public static GlobalModel initial(Map<String, HostTensor> dense) {
        return new GlobalModel(0, Map.of(), dense, Map.of());
    }
}
