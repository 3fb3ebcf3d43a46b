package io.fedpipe.aggregation;

/**
 * How many singular directions an SVD strategy keeps in the global adapter of a matrix: the
 * smallest number whose squared singular values hold at least {@code energyToKeep} of the total
 * (an energy threshold, so the truncation error is at most {@code √(1 − energyToKeep)} of
 * {@code ‖ΔW̄‖_F} by Eckart–Young), never more than {@code maxRank}, never more than the
 * numerically non-zero directions, and never fewer than the strategy's floor (the target rank
 * for {@link FedPipeAggregation}: a node at the target rank must find its directions there).
 * A floor above {@code maxRank} wins over the cap.
 *
 * @param maxRank      the cap on the global rank, {@code >= 1}
 * @param energyToKeep τ in {@code (0, 1]}; 1 keeps every numerically non-zero direction up to the cap
 */
public record GlobalRankBound(int maxRank, double energyToKeep) {

    /**
     * FedPipe's default (docs/decisions/0012): rank at most 32, twice the largest rank of the
     * default planning policy (ranks 4, 8, 16), and 99.9 % of the energy, a relative truncation
     * error of at most 3.2 %. Exported adapters stay at rank ≤ 32 however many rounds run.
     */
    public static final GlobalRankBound DEFAULT = new GlobalRankBound(32, 0.999);

    /** Every numerically non-zero direction up to rank 64: FedPipe's behaviour before the bound existed. */
    public static final GlobalRankBound LOSSLESS = new GlobalRankBound(FedPipeAggregation.DEFAULT_MAX_GLOBAL_RANK, 1.0);

    public GlobalRankBound {
        if (maxRank < 1) {
            throw new IllegalArgumentException("maximum global rank must be >= 1: " + maxRank);
        }
        if (!(energyToKeep > 0 && energyToKeep <= 1)) {
            throw new IllegalArgumentException("energy to keep must be in (0, 1]: " + energyToKeep);
        }
    }

    /** The rank to keep of {@code svd}, at least {@code floor}. */
    int rankFor(LowRankSvd.Svd svd, int floor) {
        return Math.max(floor, Math.min(svd.energyRank(energyToKeep), maxRank));
    }
}
