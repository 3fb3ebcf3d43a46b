package io.fedpipe.aggregation;

import java.util.List;
import java.util.Map;

/** How a strategy combines the valid updates of one matrix; the shared checks happen before. */
interface MatrixRule {

    /** One node's valid update of the matrix: weight normalized over the matrix's contributors, scale folded into B. */
    record Contribution(String nodeId, double weight, Factors update) {}

    /**
     * @param global  the global update, scale folded into B, at the rank the strategy keeps
     * @param perNode what each contributor receives, at its own rank, scale folded into B
     */
    record Outcome(Factors global, Map<String, Factors> perNode) {}

    /** A reason to refuse a contribution this strategy cannot use, or null to accept it. */
    default String refuse(int rank, int targetRank) {
        return null;
    }

    Outcome combine(List<Contribution> contributions, int targetRank);
}
