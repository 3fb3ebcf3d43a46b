package io.fedpipe.aggregation;

import java.util.List;

/**
 * Full-weight FedAvg (McMahan et al. 2017), the FT baseline: every dense tensor is averaged with
 * weights {@code |D_n|}. Adapters have no place in this baseline and are rejected with a reason.
 */
public final class FedAvgFull implements AggregationStrategy {

    @Override
    public String name() {
        return "fedavg-full";
    }

    /** Refuses a plan that gives a node LoRA ranks: this baseline trains the weights themselves. */
    @Override
    public RoundConfig configureRound(RoundConfig planned) {
        planned.ranksPerNode().forEach((node, ranks) -> {
            if (!ranks.isEmpty()) {
                throw new IllegalArgumentException("full-weight FedAvg trains no adapters, but node " + node
                        + " is planned LoRA ranks for " + ranks.size() + " matrices");
            }
        });
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
                return "full-weight FedAvg aggregates dense weights only; a LoRA adapter is not expected";
            }

            @Override
            public Outcome combine(List<Contribution> cs, int targetRank) {
                throw new IllegalStateException("full-weight FedAvg accepts no adapters");
            }
        }, results, failures, context);
    }
}
