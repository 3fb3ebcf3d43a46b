package io.fedpipe.aggregation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * raFLoRA-style rank-partitioned averaging (Wu, Hu, Min & Wang 2026, arXiv 2602.13486,
 * "Preventing Rank Collapse in Federated Low-Rank Adaptation with Client Heterogeneity").
 *
 * <p>The rank dimension is cut at the distinct ranks {@code r_1 < r_2 < ... < r_K} of the matrix's
 * contributors into segments {@code [r_{k-1}, r_k)} ({@code r_0 = 0}). Segment k of B's columns
 * and A's rows is averaged only over the nodes whose rank reaches {@code r_k}, with their weights
 * renormalized over those nodes:
 * {@code B̄[:, k] = Σ_{n: r_n ≥ r_k} (w_n / W_k) s_n B_n[:, k]},
 * {@code Ā[k, :] = Σ_{n: r_n ≥ r_k} (w_n / W_k) A_n[k, :]}, {@code W_k = Σ_{n: r_n ≥ r_k} w_n}.
 * Zero padding (HetLoRA) instead divides every segment by the weight of all nodes, so a segment
 * only the large nodes train is shrunk by their share each round: the paper's rank collapse, in
 * which rank-agnostic weights suppress the higher ranks geometrically over rounds.
 *
 * <p>Each node receives the first r_n directions of the average. The global keeps
 * {@code max(target rank, max r_n)} directions (beyond the largest node rank they are zero).
 * The aggregate is a weighted sum of the nodes' (segment-wise) factors, with coefficients known
 * before any update arrives, so it is {@linkplain #linear() linear}; like FedAvg of factors it is
 * not the average of the products (cross terms), which {@code errorVsExact} measures. At equal
 * ranks it is plain FedAvg of LoRA, bit for bit.
 */
public final class RankPartitionedAggregation implements AggregationStrategy {

    @Override
    public String name() {
        return "raflora";
    }

    @Override
    public boolean linear() {
        return true;
    }

    @Override
    public AggregationResult aggregate(List<NodeUpdate> results, List<Failure> failures, RoundContext context) {
        return RoundAggregation.run(name(), (cs, targetRank) -> {
            Factors avg = partitionedAverage(cs, targetRank);
            Map<String, Factors> perNode = new LinkedHashMap<>();
            cs.forEach(c -> perNode.put(c.nodeId(), avg.firstDirections(c.update().rank())));
            return new MatrixRule.Outcome(avg, perNode);
        }, results, failures, context);
    }

    static Factors partitionedAverage(List<MatrixRule.Contribution> cs, int targetRank) {
        int[] bounds = RankSegment.boundsOf(cs.stream().mapToInt(c -> c.update().rank()));
        int rank = Math.max(targetRank, bounds[bounds.length - 1]);
        Factors first = cs.get(0).update();
        Mat b = Mat.zeros(first.b().rows(), rank);
        Mat a = Mat.zeros(rank, first.a().cols());
        int from = 0;
        for (int to : bounds) {
            List<MatrixRule.Contribution> covering = cs.stream().filter(c -> c.update().rank() >= to).toList();
            // The weights are already normalized over all contributors; dividing again by their
            // floating-point sum would make equal ranks differ from FedAvg in the last bit.
            double total = covering.size() == cs.size() ? 1 : covering.stream().mapToDouble(MatrixRule.Contribution::weight).sum();
            for (MatrixRule.Contribution c : covering) {
                addColumns(b, c.update().b(), from, to, c.weight() / total);
                addRows(a, c.update().a(), from, to, c.weight() / total);
            }
            from = to;
        }
        return new Factors(b, a);
    }

    private static void addColumns(Mat into, Mat from, int c0, int c1, double w) {
        for (int i = 0; i < into.rows(); i++) {
            for (int j = c0; j < c1; j++) {
                into.set(i, j, into.get(i, j) + w * from.get(i, j));
            }
        }
    }

    private static void addRows(Mat into, Mat from, int r0, int r1, double w) {
        for (int i = r0; i < r1; i++) {
            for (int j = 0; j < into.cols(); j++) {
                into.set(i, j, into.get(i, j) + w * from.get(i, j));
            }
        }
    }
}
