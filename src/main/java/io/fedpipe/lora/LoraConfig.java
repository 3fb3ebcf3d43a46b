package io.fedpipe.lora;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which matrices get an adapter and with which rank (LoRA, Hu et al. 2021).
 *
 * <p>Each matrix has its own rank r; its update is {@code ΔW = (α / r) · B·A} with
 * {@code A ∈ R^{r×in}}, {@code B ∈ R^{out×r}}. α is shared, as PEFT's {@code rank_pattern}
 * does, so a larger rank does not mean a larger initial step.
 *
 * @param ranks   rank per adapted matrix (only matrices listed here are adapted)
 * @param alpha   the LoRA α
 * @param dropout dropout on the adapter's input during training, in [0, 1)
 */
public record LoraConfig(Map<MatrixId, Integer> ranks, float alpha, float dropout) {

    public LoraConfig {
        if (ranks == null || ranks.isEmpty()) {
            throw new IllegalArgumentException("a LoRA config needs at least one adapted matrix");
        }
        for (Map.Entry<MatrixId, Integer> e : ranks.entrySet()) {
            if (e.getValue() == null || e.getValue() <= 0) {
                throw new IllegalArgumentException("rank of " + e.getKey() + " must be positive: " + e.getValue());
            }
        }
        if (!(alpha > 0) || !Float.isFinite(alpha)) {
            throw new IllegalArgumentException("lora alpha must be positive: " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora dropout must be in [0, 1): " + dropout);
        }
        ranks = Collections.unmodifiableMap(new TreeMap<>(ranks));
    }

    /** The same rank on the given targets of every layer. */
    public static LoraConfig uniform(int layers, Set<LoraTarget> targets, int rank, float alpha, float dropout) {
        Map<MatrixId, Integer> ranks = new TreeMap<>();
        for (int layer = 0; layer < layers; layer++) {
            for (LoraTarget t : targets) {
                ranks.put(new MatrixId(layer, t), rank);
            }
        }
        return new LoraConfig(ranks, alpha, dropout);
    }

    /** Rank of {@code id}, or 0 when it has no adapter. */
    public int rank(MatrixId id) {
        return ranks.getOrDefault(id, 0);
    }

    public float scale(MatrixId id) {
        int r = rank(id);
        return r == 0 ? 0f : alpha / r;
    }
}
