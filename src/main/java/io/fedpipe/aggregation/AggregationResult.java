package io.fedpipe.aggregation;

import io.fedpipe.core.MatrixId;
import io.fedpipe.core.HostTensor;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The outcome of one round's aggregation.
 *
 * @param strategy      the strategy's name
 * @param global        the global adapter per matrix, at scale {@code α/rank}; a matrix with no valid
 *                      update this round keeps its previous global entry
 * @param perNode       per node id, the adapters to send back, each at that node's trained rank and
 *                      scale {@code α/r_n} (only for matrices aggregated this round)
 * @param dense         dense tensors averaged by plain FedAvg (or kept from the previous round)
 * @param rejected      what was left out, with reasons; the rest was aggregated without it
 * @param failures      the round's failed nodes, as given
 * @param errorVsExact  per matrix aggregated this round, {@code ‖ΔW_global − ΔW_exact‖_F / ‖ΔW_exact‖_F}
 *                      where {@code ΔW_exact = Σ w_n s_n B_n A_n / Σ w_n} over the nodes that trained
 *                      it (the absolute norm {@code ‖ΔW_global‖_F} when the exact average is zero)
 * @param perNodeError  per node and matrix, the same relative error of what that node receives
 * @param matrices      per matrix aggregated this round, its global rank and the energy share of each
 *                      rank segment ({@link MatrixDiagnostics})
 * @param cost          server time and bytes moved ({@link RoundCost})
 */
public record AggregationResult(String strategy, Map<MatrixId, ScaledAdapter> global,
        Map<String, Map<MatrixId, ScaledAdapter>> perNode, Map<String, HostTensor> dense, List<Rejection> rejected,
        List<Failure> failures, Map<MatrixId, Double> errorVsExact, Map<String, Map<MatrixId, Double>> perNodeError,
        Map<MatrixId, MatrixDiagnostics> matrices, RoundCost cost) {

    public AggregationResult {
        global = Collections.unmodifiableMap(new TreeMap<>(global));
        perNode = Collections.unmodifiableMap(new TreeMap<>(perNode));
        dense = Collections.unmodifiableMap(new TreeMap<>(dense));
        rejected = List.copyOf(rejected);
        failures = List.copyOf(failures);
        errorVsExact = Collections.unmodifiableMap(new TreeMap<>(errorVsExact));
        perNodeError = Collections.unmodifiableMap(new TreeMap<>(perNodeError));
        matrices = Collections.unmodifiableMap(new TreeMap<>(matrices));
        cost = cost == null ? RoundCost.NONE : cost;
    }

    /** A result without diagnostics (a round in which nothing was aggregated). */
    public AggregationResult(String strategy, Map<MatrixId, ScaledAdapter> global,
            Map<String, Map<MatrixId, ScaledAdapter>> perNode, Map<String, HostTensor> dense, List<Rejection> rejected,
            List<Failure> failures, Map<MatrixId, Double> errorVsExact, Map<String, Map<MatrixId, Double>> perNodeError) {
        this(strategy, global, perNode, dense, rejected, failures, errorVsExact, perNodeError, Map.of(), RoundCost.NONE);
    }

    /** The round in one record, for a per-round report line ({@link RoundDiagnostics#summaryLine()}). */
    public RoundDiagnostics diagnostics() {
        return RoundDiagnostics.of(errorVsExact, matrices, cost);
    }

    /** Whether anything of {@code nodeId} (or, with {@code item}, that entry) was rejected. */
    public boolean wasRejected(String nodeId, String item) {
        return rejected.stream().anyMatch(r -> r.nodeId().equals(nodeId) && (item == null || r.item().equals(item)));
    }
}
