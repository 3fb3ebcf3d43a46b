package io.fedpipe.aggregation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * FlexLoRA-style aggregation (Bai et al. 2024): the exact weighted average of the updates,
 * {@code ΔW̄ = Σ w_n s_n B_n A_n}, truncated by SVD to the target rank for the global adapter and
 * to each node's rank r_n for what that node receives, with balanced factors
 * {@code B = U_r·√Σ_r}, {@code A = √Σ_r·V_rᵀ}.
 *
 * <p>The average is exact and the truncations are the best of their rank (Eckart–Young); the only
 * error is the discarded tail {@code σ_{r+1}, ...}. FlexLoRA forms {@code ΔW̄} densely; here it is
 * decomposed from the stacked factors ({@link LowRankSvd}), which gives the same SVD.
 */
public final class FlexLoraSvd implements AggregationStrategy {

    @Override
    public String name() {
        return "flexlora-svd";
    }

    @Override
    public AggregationResult aggregate(List<NodeUpdate> results, List<Failure> failures, RoundContext context) {
        return RoundAggregation.run(name(), (cs, targetRank) -> {
            LowRankSvd.Svd svd = svdOfAverage(cs);
            return new MatrixRule.Outcome(svd.truncate(targetRank), truncatedPerNode(svd, cs));
        }, results, failures, context);
    }

    /** SVD of {@code Σ w_n B_n A_n = [w_1 B_1 | w_2 B_2 | ...]·[A_1; A_2; ...]}. */
    static LowRankSvd.Svd svdOfAverage(List<MatrixRule.Contribution> cs) {
        List<Mat> bs = new ArrayList<>();
        List<Mat> as = new ArrayList<>();
        for (MatrixRule.Contribution c : cs) {
            bs.add(c.update().b().scaled(c.weight()));
            as.add(c.update().a());
        }
        return LowRankSvd.ofProduct(Mat.hstack(bs), Mat.vstack(as));
    }

    static Map<String, Factors> truncatedPerNode(LowRankSvd.Svd svd, List<MatrixRule.Contribution> cs) {
        Map<String, Factors> perNode = new LinkedHashMap<>();
        cs.forEach(c -> perNode.put(c.nodeId(), svd.truncate(c.update().rank())));
        return perNode;
    }
}
