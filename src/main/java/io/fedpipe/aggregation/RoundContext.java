package io.fedpipe.aggregation;

import io.fedpipe.lora.LoraConfig;
import io.fedpipe.core.MatrixId;
import io.fedpipe.core.HostTensor;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the aggregator knows when a round closes.
 *
 * @param targetRanks    the global adapter's rank per selected matrix; only these matrices are aggregated
 * @param alpha          the LoRA α: adapters are returned at the PEFT scale {@code α/r} of their rank
 * @param shapes         {@code [out, in]} of every selected matrix, to reject wrong or transposed updates
 * @param previousGlobal last round's global adapters; a matrix with no valid update keeps its entry
 * @param previousDense  last round's dense tensors; a tensor nobody sent validly keeps its value, and its
 *                       shape is the one updates must have
 * @param sent           per node id, the adapters it was sent at the start of this round (what it trained
 *                       from); a strategy that aggregates changes ({@link FedPipeAggregation}) uses them,
 *                       the others ignore them. Missing means the node started from nothing.
 */
public record RoundContext(Map<MatrixId, Integer> targetRanks, float alpha, Map<MatrixId, MatrixShape> shapes,
        Map<MatrixId, ScaledAdapter> previousGlobal, Map<String, HostTensor> previousDense,
        Map<String, Map<MatrixId, ScaledAdapter>> sent) {

    public RoundContext {
        if (!(alpha > 0) || !Float.isFinite(alpha)) {
            throw new IllegalArgumentException("LoRA alpha must be positive: " + alpha);
        }
        targetRanks = Collections.unmodifiableMap(new TreeMap<>(targetRanks));
        shapes = Collections.unmodifiableMap(new TreeMap<>(shapes));
        previousGlobal = Collections.unmodifiableMap(new TreeMap<>(previousGlobal));
        previousDense = Collections.unmodifiableMap(new TreeMap<>(previousDense));
        Map<String, Map<MatrixId, ScaledAdapter>> sentCopy = new TreeMap<>();
        sent.forEach((node, m) -> sentCopy.put(node, Collections.unmodifiableMap(new TreeMap<>(m))));
        sent = Collections.unmodifiableMap(sentCopy);
        for (Map.Entry<MatrixId, Integer> e : targetRanks.entrySet()) {
            if (e.getValue() == null || e.getValue() <= 0) {
                throw new IllegalArgumentException("target rank of " + e.getKey() + " must be positive: " + e.getValue());
            }
            if (!shapes.containsKey(e.getKey())) {
                throw new IllegalArgumentException("no [out, in] shape given for selected matrix " + e.getKey());
            }
        }
        for (Map.Entry<MatrixId, ScaledAdapter> e : previousGlobal.entrySet()) {
            requireShape(shapes, e.getKey(), e.getValue(), "previous global");
        }
        for (Map.Entry<String, Map<MatrixId, ScaledAdapter>> n : sent.entrySet()) {
            for (Map.Entry<MatrixId, ScaledAdapter> e : n.getValue().entrySet()) {
                requireShape(shapes, e.getKey(), e.getValue(), "adapter sent to node " + n.getKey());
            }
        }
    }

    /** Used in the constructor, before the record's fields are set. */
    private static void requireShape(Map<MatrixId, MatrixShape> shapes, MatrixId id, ScaledAdapter a, String what) {
        MatrixShape expected = shapes.get(id);
        if (expected != null && !expected.equals(a.shape())) {
            throw new IllegalArgumentException(what + " for " + id + " has shape " + a.shape() + ", expected " + expected);
        }
    }

    /** The first round of a LoRA job: nothing aggregated before. */
    public static RoundContext of(LoraConfig lora, Map<MatrixId, MatrixShape> shapes) {
        return new RoundContext(lora.ranks(), lora.alpha(), shapes, Map.of(), Map.of(), Map.of());
    }

    /** The FT baseline: no adapters, only dense weights. */
    public static RoundContext fullWeights(Map<String, HostTensor> previousWeights) {
        return new RoundContext(Map.of(), 1f, Map.of(), Map.of(), previousWeights, Map.of());
    }

    public RoundContext withPrevious(Map<MatrixId, ScaledAdapter> global, Map<String, HostTensor> dense) {
        return new RoundContext(targetRanks, alpha, shapes, global, dense, sent);
    }

    /** The next round's context after {@code result}: its global and dense tensors, and its per-node adapters as sent. */
    public RoundContext next(AggregationResult result) {
        return new RoundContext(targetRanks, alpha, shapes, result.global(), result.dense(), result.perNode());
    }

    /** PEFT's scale for an adapter of rank {@code r}. */
    public float scaleForRank(int r) {
        return alpha / r;
    }
}
