package io.fedpipe.aggregation;

import java.util.List;
import java.util.Map;

/** How a strategy combines the valid updates of one matrix; the shared checks happen before. */
interface MatrixRule {

    /**
     * One node's valid update of the matrix.
     *
     * @param weight normalized over the matrix's contributors
     * @param update the node's adapter, scale folded into B
     * @param start  the adapter the node started the round from (what it was sent), scale folded;
     *               rank 0 when it started from nothing
     */
    record Contribution(String nodeId, double weight, Factors update, Factors start) {}

    /**
     * @param global  the global update, scale folded into B, at the rank the strategy keeps
     * @param perNode what each contributor receives, at its own rank, scale folded into B
     */
    record Outcome(Factors global, Map<String, Factors> perNode) {}

    /** A reason to refuse a contribution this strategy cannot use, or null to accept it. */
    default String refuse(int rank, int targetRank) {
        return null;
    }

    /**
     * Whether this rule adds the nodes' changes {@code ΔW_n − ΔW_n^start} to the previous global
     * rather than averaging their whole adapters; it then is measured against
     * {@code G_prev + Σ w_n (ΔW_n − ΔW_n^start)}.
     */
    default boolean aggregatesChanges() {
        return false;
    }

    /**
     * Combines with access to the previous global (scale folded; rank 0 when there is none), given
     * only when this rule {@linkplain #aggregatesChanges() aggregates changes} and some contributor
     * was sent a start adapter; null otherwise.
     */
    default Outcome combine(List<Contribution> contributions, int targetRank, Factors previousGlobal) {
        return combine(contributions, targetRank);
    }

    Outcome combine(List<Contribution> contributions, int targetRank);
}
