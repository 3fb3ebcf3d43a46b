package io.fedpipe.aggregation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * FLoRIST (Ramesh & Dass 2025, arXiv 2506.09199, "Singular Value Thresholding for Efficient and
 * Accurate Federated Fine-Tuning of Large Language Models"): the exact weighted average
 * {@code ΔW̄ = [w_1 s_1 B_1 | ...]·[A_1; ...]} is decomposed from the stacked factors in the small
 * space, never formed as an {@code out × in} matrix, and the global keeps the fewest singular
 * directions holding a share τ of the energy {@code Σ σ_i²}: its rank adapts to the round instead
 * of being fixed. Nodes receive the top-r_n slice of that global (zero directions beyond its rank).
 *
 * <p>The paper decomposes each stacked factor separately and the product of the small factors
 * after; {@link LowRankSvd}'s QR route (QR of each stacked factor, SVD of the R×R core) is the same
 * computation, {@code O((out + in)·R² + R³)} for {@code R = Σ r_n}. τ = 1 keeps every non-zero
 * direction: the exact average. Unlike {@link FedPipeAggregation} the global may fall below the
 * target rank, and it always averages whole adapters (no change mode). Not linear: the threshold
 * depends on the singular values of the sum.
 */
public final class FloristAggregation implements AggregationStrategy {

    /**
     * τ = 0.99: a relative truncation error of at most 10 % (Eckart–Young). The paper tunes τ per
     * task (its FLoRIST-O and FLoRIST-E variants pick it for accuracy or for communication); 0.99
     * errs towards accuracy. See docs/decisions/0012.
     */
    public static final double DEFAULT_ENERGY_TO_KEEP = 0.99;

    private final double energyToKeep;

    public FloristAggregation() {
        this(DEFAULT_ENERGY_TO_KEEP);
    }

    /** @param energyToKeep τ in {@code (0, 1]}: the share of {@code Σ σ_i²} the global keeps */
    public FloristAggregation(double energyToKeep) {
        if (!(energyToKeep > 0 && energyToKeep <= 1)) {
            throw new IllegalArgumentException("energy to keep must be in (0, 1]: " + energyToKeep);
        }
        this.energyToKeep = energyToKeep;
    }

    public double energyToKeep() {
        return energyToKeep;
    }

    @Override
    public String name() {
        return "florist";
    }

    @Override
    public AggregationResult aggregate(List<NodeUpdate> results, List<Failure> failures, RoundContext context) {
        return RoundAggregation.run(name(), (cs, targetRank) -> {
            LowRankSvd.Svd svd = FlexLoraSvd.svdOfAverage(cs);
            Factors global = svd.truncate(Math.max(1, svd.energyRank(energyToKeep)));
            Map<String, Factors> perNode = new LinkedHashMap<>();
            cs.forEach(c -> perNode.put(c.nodeId(), global.firstDirections(c.update().rank())));
            return new MatrixRule.Outcome(global, perNode);
        }, results, failures, context);
    }
}
