package io.fedpipe.aggregation;

import io.fedpipe.lora.LoraConfig;
import io.fedpipe.lora.MatrixId;
import io.fedpipe.model.HostTensor;
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
 */
public record RoundContext(Map<MatrixId, Integer> targetRanks, float alpha, Map<MatrixId, MatrixShape> shapes,
        Map<MatrixId, ScaledAdapter> previousGlobal, Map<String, HostTensor> previousDense) {

    public RoundContext {
        if (!(alpha > 0) || !Float.isFinite(alpha)) {
            throw new IllegalArgumentException("LoRA alpha must be positive: " + alpha);
        }
        targetRanks = Collections.unmodifiableMap(new TreeMap<>(targetRanks));
        shapes = Collections.unmodifiableMap(new TreeMap<>(shapes));
        previousGlobal = Collections.unmodifiableMap(new TreeMap<>(previousGlobal));
        previousDense = Collections.unmodifiableMap(new TreeMap<>(previousDense));
        for (Map.Entry<MatrixId, Integer> e : targetRanks.entrySet()) {
            if (e.getValue() == null || e.getValue() <= 0) {
                throw new IllegalArgumentException("target rank of " + e.getKey() + " must be positive: " + e.getValue());
            }
            if (!shapes.containsKey(e.getKey())) {
                throw new IllegalArgumentException("no [out, in] shape given for selected matrix " + e.getKey());
            }
        }
    }

    /** The first round of a LoRA job: nothing aggregated before. */
    public static RoundContext of(LoraConfig lora, Map<MatrixId, MatrixShape> shapes) {
        return new RoundContext(lora.ranks(), lora.alpha(), shapes, Map.of(), Map.of());
    }

    /** The FT baseline: no adapters, only dense weights. */
    public static RoundContext fullWeights(Map<String, HostTensor> previousWeights) {
        return new RoundContext(Map.of(), 1f, Map.of(), Map.of(), previousWeights);
    }

    public RoundContext withPrevious(Map<MatrixId, ScaledAdapter> global, Map<String, HostTensor> dense) {
        return new RoundContext(targetRanks, alpha, shapes, global, dense);
    }

    /** PEFT's scale for an adapter of rank {@code r}. */
    public float scaleForRank(int r) {
        return alpha / r;
    }
}
