package io.fedpipe.aggregation;

import io.fedpipe.core.MatrixId;
import java.util.List;
import java.util.Map;

/**
 * Plain FedAvg for homogeneous LoRA: every node trains a matrix at the same rank, and A and B are
 * averaged separately, {@code Ā = Σ w_n A_n}, {@code B̄ = Σ w_n s_n B_n} (weights normalized).
 *
 * <p>This is NOT the average of the updates: {@code B̄·Ā ≠ Σ w_n s_n B_n A_n} in general (the cross
 * terms {@code w_m w_n B_m A_n} appear); the result's {@code errorVsExact} measures the gap. It is
 * the baseline most federated LoRA systems use. A node whose rank differs from the matrix's target
 * rank is rejected for that matrix.
 */
public final class FedAvgLora implements AggregationStrategy {

    @Override
    public String name() {
        return "fedavg-lora";
    }

    /** Refuses a plan in which two nodes train the same matrix at different ranks. */
    @Override
    public RoundConfig configureRound(RoundConfig planned) {
        Map<MatrixId, Integer> seen = new java.util.TreeMap<>();
        Map<MatrixId, String> by = new java.util.TreeMap<>();
        planned.ranksPerNode().forEach((node, ranks) -> ranks.forEach((id, r) -> {
            Integer before = seen.putIfAbsent(id, r);
            by.putIfAbsent(id, node);
            if (before != null && !before.equals(r)) {
                throw new IllegalArgumentException("FedAvg of LoRA needs equal ranks: matrix " + id + " has rank "
                        + before + " on node " + by.get(id) + " but " + r + " on node " + node);
            }
        }));
        return planned;
    }

    /** A weighted sum of the nodes' factors (or weights) with their normalized weights. */
    @Override
    public boolean linear() {
        return true;
    }

    @Override
    public AggregationResult aggregate(List<NodeUpdate> results, List<Failure> failures, RoundContext context) {
        return RoundAggregation.run(name(), new MatrixRule() {
            @Override
            public String refuse(int rank, int targetRank) {
                return rank == targetRank ? null
                        : "FedAvg of LoRA factors needs the global rank " + targetRank + ", got rank " + rank;
            }

            @Override
            public Outcome combine(List<Contribution> cs, int targetRank) {
                Factors avg = averageFactors(cs, targetRank);
                return new Outcome(avg, RoundAggregation.sameForAll(cs, avg));
            }
        }, results, failures, context);
    }

    /**
     * {@code (Σ w_n B_n, Σ w_n A_n)} with each factor zero-padded to {@code rank} directions (a
     * no-op at equal ranks; HetLoRA's padding otherwise).
     */
    static Factors averageFactors(List<MatrixRule.Contribution> cs, int rank) {
        Factors first = cs.get(0).update();
        Mat b = Mat.zeros(first.b().rows(), rank);
        Mat a = Mat.zeros(rank, first.a().cols());
        for (MatrixRule.Contribution c : cs) {
            Factors padded = c.update().firstDirections(rank);
            b.addScaled(padded.b(), c.weight());
            a.addScaled(padded.a(), c.weight());
        }
        return new Factors(b, a);
    }
}
