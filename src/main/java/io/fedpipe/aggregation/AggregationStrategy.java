package io.fedpipe.aggregation;

import java.util.List;

/**
 * One way of combining the nodes' updates of a federated round, after Flower's strategy protocol:
 * configure what each node trains, then aggregate the results and the failures separately.
 *
 * <p>Contract shared by every implementation: a matrix is averaged only over the nodes that
 * delivered a valid update for it, with their weights renormalized; invalid entries (non-finite
 * values, wrong or transposed shapes, absurd norms, duplicate node ids, non-positive weights) are
 * rejected with a reason and never reach the average; dense tensors are averaged by plain FedAvg.
 * Implementations are stateless and thread-safe.
 */
public interface AggregationStrategy {

    /** A short name for reports, e.g. {@code flexlora-svd}. */
    String name();

    /**
     * What each node trains this round. The default passes the planner's ranks through; a strategy
     * with requirements (equal ranks for plain FedAvg) checks them here.
     */
    default RoundConfig configureRound(RoundConfig planned) {
        return planned;
    }

    /**
     * Whether every number of the aggregate is a weighted sum of the nodes' numbers with
     * coefficients fixed before the updates arrive (their weights, per segment for raFLoRA), so a
     * server may compute it from masked sums (secure aggregation) without seeing an update. FedAvg
     * of factors or of dense weights, zero padding and raFLoRA are; the SVD strategies are not (the
     * decomposition and the rank choice depend on the sum itself).
     */
    default boolean linear() {
        return false;
    }

    AggregationResult aggregate(List<NodeUpdate> results, List<Failure> failures, RoundContext context);
}
