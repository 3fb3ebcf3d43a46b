package io.fedpipe.round;

import io.fedpipe.local.AdaptedClassifiers;
import io.fedpipe.aggregation.AggregationResult;
import io.fedpipe.aggregation.AggregationStrategy;
import io.fedpipe.aggregation.Failure;
import io.fedpipe.aggregation.MatrixShape;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.aggregation.RoundConfig;
import io.fedpipe.aggregation.RoundContext;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.core.MatrixId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The federated round as separate, transport-free steps that any driver calls in order:
 *
 * <ol>
 *   <li>{@link #configure}: the strategy checks or adjusts the planned ranks of every node;</li>
 *   <li>{@link #assign}: what each node is sent (its adapters at its rank, the head);</li>
 *   <li>the nodes run their {@link LocalRound} (here or elsewhere: the engine does not care);</li>
 *   <li>{@link #aggregate}: the strategy validates the deltas (rejecting bad ones with a reason) and
 *       combines the rest into the next {@link GlobalModel};</li>
 *   <li>evaluation of the global model ({@link AdaptedClassifiers#evaluate}) and, if the driver
 *       wants, a new plan for the next round.</li>
 * </ol>
 *
 * <p>Rounds are the job's, numbered 1..n as in the {@link RoundLoop}; the simulator and the
 * aggregator pass that number unchanged, and a round's seeds come from
 * {@link NodeAssignment#seedIndex()}.
 *
 * <p>It holds no mutable state, starts no thread and blocks on nothing: the state between rounds
 * is the {@link GlobalModel} and the assignments the driver keeps, so the in-process simulator and
 * an aggregator actor can both drive it (the actor persisting the global between messages).
 */
public final class RoundEngine {

    /** One closed round: the strategy's result and the global model it produced. */
    public record Outcome(AggregationResult result, GlobalModel global) {}

    private final AggregationStrategy strategy;
    private final float alpha;
    private final Map<MatrixId, MatrixShape> shapes;

    /**
     * @param strategy how updates are combined
     * @param alpha    the LoRA α every node uses
     * @param shapes   {@code [out, in]} of every matrix a plan may select
     */
    public RoundEngine(AggregationStrategy strategy, float alpha, Map<MatrixId, MatrixShape> shapes) {
        this.strategy = strategy;
        this.alpha = alpha;
        this.shapes = Collections.unmodifiableMap(new TreeMap<>(shapes));
    }

    public AggregationStrategy strategy() {
        return strategy;
    }

    /**
     * The plans the strategy accepts for {@code round}: ranks as its {@link AggregationStrategy#configureRound}
     * returns them (it may refuse, e.g. unequal ranks for plain FedAvg); steps, batch and bits unchanged.
     */
    public List<NodeRoundPlan> configure(int round, List<NodeRoundPlan> planned) {
        Map<String, Map<MatrixId, Integer>> ranks = new TreeMap<>();
        for (NodeRoundPlan p : planned) {
            if (ranks.put(p.nodeId(), p.ranks()) != null) {
                throw new IllegalArgumentException("round " + round + " plans node " + p.nodeId() + " twice");
            }
            for (MatrixId id : p.ranks().keySet()) {
                if (!shapes.containsKey(id)) {
                    throw new IllegalArgumentException("plan of node " + p.nodeId() + " trains " + id
                            + ", which the model does not have as an adaptable matrix");
                }
            }
        }
        RoundConfig config = strategy.configureRound(new RoundConfig(round, ranks));
        List<NodeRoundPlan> out = new ArrayList<>(planned.size());
        for (NodeRoundPlan p : planned) {
            Map<MatrixId, Integer> r = config.ranksPerNode().get(p.nodeId());
            out.add(r == null ? p : new NodeRoundPlan(p.nodeId(), r, p.steps(), p.batchSize(), p.bits()));
        }
        return out;
    }

    /**
     * What node {@code plan.nodeId()} is sent: per planned matrix, what the last aggregation prepared
     * for it when that has the planned rank, else the first {@code r} directions of the global
     * adapter (a node that failed last round, or whose rank changed), else nothing (a fresh
     * adapter, B = 0); and all dense tensors.
     */
    public NodeAssignment assign(int round, NodeRoundPlan plan, GlobalModel global) {
        Map<MatrixId, ScaledAdapter> prepared = global.perNode().getOrDefault(plan.nodeId(), Map.of());
        Map<MatrixId, ScaledAdapter> sent = new TreeMap<>();
        for (Map.Entry<MatrixId, Integer> e : plan.ranks().entrySet()) {
            int r = e.getValue();
            ScaledAdapter own = prepared.get(e.getKey());
            ScaledAdapter g = global.adapters().get(e.getKey());
            if (own != null && own.rank() == r) {
                sent.put(e.getKey(), own);
            } else if (g != null) {
                sent.put(e.getKey(), g.firstDirections(r, alpha / r));
            }
        }
        return new NodeAssignment(round, plan, sent, global.dense());
    }

    /**
     * Closes a round: the strategy aggregates the delivered updates against what each node was sent
     * (the target rank of a matrix is the largest planned for it), rejecting invalid entries with a
     * reason; failures are carried into the result. When no node delivered, the strategy is not
     * asked: the global, dense tensors and per-node adapters are carried over unchanged, so a node is
     * sent its own prepared adapters again next round (the simulator and the aggregator partitions
     * both close such a round here).
     *
     * @param sent     the assignments of this round (of delivering and failed nodes alike)
     * @param results  the updates delivered
     * @param failures nodes that delivered nothing, with why
     * @param previous the global model the round started from
     */
    public Outcome aggregate(Collection<NodeAssignment> sent, List<NodeUpdate> results, List<Failure> failures,
            GlobalModel previous) {
        if (results.isEmpty()) {
            AggregationResult none = new AggregationResult(strategy.name(), previous.adapters(), previous.perNode(),
                    previous.dense(), List.of(), failures, Map.of(), Map.of());
            return new Outcome(none, new GlobalModel(previous.roundsDone() + 1, previous.adapters(), previous.dense(),
                    previous.perNode()));
        }
        Map<MatrixId, Integer> targetRanks = new TreeMap<>();
        Map<String, Map<MatrixId, ScaledAdapter>> sentAdapters = new TreeMap<>();
        for (NodeAssignment a : sent) {
            a.plan().ranks().forEach((id, r) -> targetRanks.merge(id, r, Math::max));
            sentAdapters.put(a.nodeId(), a.adapters());
        }
        RoundContext context = new RoundContext(targetRanks, alpha, shapes, previous.adapters(), previous.dense(),
                sentAdapters);
        AggregationResult result = strategy.aggregate(results, failures, context);
        GlobalModel next = new GlobalModel(previous.roundsDone() + 1, result.global(), result.dense(), result.perNode());
        return new Outcome(result, next);
    }
}
