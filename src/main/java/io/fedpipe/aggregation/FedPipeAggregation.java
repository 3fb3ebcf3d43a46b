package io.fedpipe.aggregation;

import java.util.ArrayList;
import java.util.List;

/**
 * FedPipe's default: the exact weighted average of the updates, kept losslessly in the global
 * adapter, with every node receiving the top-r_n slice of the same SVD.
 *
 * <p>{@code ΔW̄ = Σ w_n s_n B_n A_n} has rank at most {@code Σ r_n}. Its SVD is computed from the
 * stacked factors ({@link LowRankSvd}); the global adapter keeps as many directions as its
 * {@link GlobalRankBound} allows: those holding a share τ of the energy {@code Σ σ_i²}, at least
 * the target rank and at most a cap. {@link StrategyKind#FEDPIPE} uses
 * {@link GlobalRankBound#DEFAULT} (rank ≤ 32, τ = 0.999); with {@link GlobalRankBound#LOSSLESS}
 * (τ = 1, cap 64, the no-argument constructor) the global, and the model merged from it at the
 * end, equal the exact average while {@code Σ r_n ≤ 64}. Whatever is dropped shows in
 * {@link AggregationResult#errorVsExact()}, which is measured against the exact average. The cost
 * is a global adapter of rank up to {@code Σ r_n} on the aggregator ({@code (out + in)·rank}
 * floats, e.g. 22 × 1920 for 4 nodes on a 1536×384 matrix), far below the dense {@code out·in}.
 *
 * <p>Nodes get {@code B = U_{r_n}√Σ_{r_n}}, {@code A = √Σ_{r_n}V_{r_n}ᵀ}: the best rank-r_n part
 * (Eckart–Young), nested across ranks, so a rank-2 and a rank-8 node start the next round from the
 * same two leading directions, and any node (also one that failed this round, or one whose rank
 * the planner changes) can be served by {@link ScaledAdapter#firstDirections} of the global.
 *
 * <p>Across rounds: when the context says what each node was sent ({@link RoundContext#sent()},
 * e.g. {@link RoundContext#next}), the new global is {@code G_prev + Σ w_n (ΔW_n − ΔW_n^sent)}, as
 * FedAvg does with full weights: nodes train low-rank slices, but the directions beyond a node's
 * rank are not lost from the global, because only what the nodes changed is averaged in. Without
 * it (first round) the global is the exact average {@code Σ w_n ΔW_n}.
 */
public final class FedPipeAggregation implements AggregationStrategy {

    /** The cap of {@link GlobalRankBound#LOSSLESS}: lossless for up to 64 stacked node directions per matrix. */
    public static final int DEFAULT_MAX_GLOBAL_RANK = 64;

    static final double NUMERICAL_RANK_TOLERANCE = 1e-10;

    private final GlobalRankBound bound;

    /**
     * The lossless bound ({@link GlobalRankBound#LOSSLESS}), as before the bound existed, for
     * callers that rely on the global being the exact average; jobs get
     * {@link GlobalRankBound#DEFAULT} through {@link StrategyKind#FEDPIPE}.
     */
    public FedPipeAggregation() {
        this(GlobalRankBound.LOSSLESS);
    }

    /** Every numerically non-zero direction up to {@code maxGlobalRank} (τ = 1). */
    public FedPipeAggregation(int maxGlobalRank) {
        this(new GlobalRankBound(maxGlobalRank, 1.0));
    }

    public FedPipeAggregation(GlobalRankBound bound) {
        if (bound == null) {
            throw new IllegalArgumentException("a global rank bound is required");
        }
        this.bound = bound;
    }

    public GlobalRankBound bound() {
        return bound;
    }

    @Override
    public String name() {
        return "fedpipe";
    }

    @Override
    public AggregationResult aggregate(List<NodeUpdate> results, List<Failure> failures, RoundContext context) {
        return RoundAggregation.run(name(), new MatrixRule() {
            @Override
            public boolean aggregatesChanges() {
                return true;
            }

            @Override
            public Outcome combine(List<Contribution> cs, int targetRank, Factors previousGlobal) {
                return fromSvd(previousGlobal == null ? FlexLoraSvd.svdOfAverage(cs) : svdOfUpdatedGlobal(previousGlobal, cs),
                        cs, targetRank);
            }

            @Override
            public Outcome combine(List<Contribution> cs, int targetRank) {
                return combine(cs, targetRank, null);
            }
        }, results, failures, context);
    }

    private MatrixRule.Outcome fromSvd(LowRankSvd.Svd svd, List<MatrixRule.Contribution> cs, int targetRank) {
        return new MatrixRule.Outcome(svd.truncate(bound.rankFor(svd, targetRank)), FlexLoraSvd.truncatedPerNode(svd, cs));
    }

    /**
     * SVD of {@code G_prev + Σ w_n (B_n A_n − B_n^start A_n^start)}, from the stacked factors
     * {@code [G_b | w_1 B_1 | −w_1 B_1^start | ...]·[G_a; A_1; A_1^start; ...]}.
     */
    static LowRankSvd.Svd svdOfUpdatedGlobal(Factors previous, List<MatrixRule.Contribution> cs) {
        List<Mat> bs = new ArrayList<>(List.of(previous.b()));
        List<Mat> as = new ArrayList<>(List.of(previous.a()));
        for (MatrixRule.Contribution c : cs) {
            bs.add(c.update().b().scaled(c.weight()));
            as.add(c.update().a());
            bs.add(c.start().b().scaled(-c.weight()));
            as.add(c.start().a());
        }
        return LowRankSvd.ofProduct(Mat.hstack(bs), Mat.vstack(as));
    }
}
