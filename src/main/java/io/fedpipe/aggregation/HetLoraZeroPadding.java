package io.fedpipe.aggregation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * HetLoRA-style aggregation (Cho et al. 2024): each node's A rows and B columns are zero-padded to
 * the largest rank R, the padded factors are averaged separately, and every node gets the first
 * r_n directions back (HetLoRA's truncation). The global keeps the first {@code targetRank}
 * directions.
 *
 * <p>As with FedAvg, averaging factors is not averaging updates, and padding adds a second error:
 * a rank-2 node pulls directions 3..R of the average towards zero while still contributing cross
 * terms. HetLoRA's rank self-pruning and sparsity-weighted aggregation are not implemented; this is
 * the zero-padding core with data-size weights.
 */
public final class HetLoraZeroPadding implements AggregationStrategy {

    @Override
    public String name() {
        return "hetlora-zero-padding";
    }

    /** A weighted sum of the nodes' factors (or weights) with their normalized weights. */
    @Override
    public boolean linear() {
        return true;
    }

    @Override
    public AggregationResult aggregate(List<NodeUpdate> results, List<Failure> failures, RoundContext context) {
        return RoundAggregation.run(name(), (cs, targetRank) -> {
            int padded = Math.max(targetRank, cs.stream().mapToInt(c -> c.update().rank()).max().orElseThrow());
            Factors avg = FedAvgLora.averageFactors(cs, padded);
            Map<String, Factors> perNode = new LinkedHashMap<>();
            cs.forEach(c -> perNode.put(c.nodeId(), avg.firstDirections(c.update().rank())));
            return new MatrixRule.Outcome(avg.firstDirections(targetRank), perNode);
        }, results, failures, context);
    }
}
