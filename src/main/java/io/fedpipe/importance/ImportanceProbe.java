package io.fedpipe.importance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import io.fedpipe.lora.LoraLinear;
import io.fedpipe.core.MatrixId;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.train.AdamW;
import io.fedpipe.train.Backprop;
import io.fedpipe.train.LayeredObjective;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Stage 1 of FedPipe on one node: a short probe that trains SVD-form adapters on every
 * candidate matrix with AdaLoRA's orthogonality regulariser
 * {@code γ·Σ (‖PᵀP − I‖²_F + ‖QQᵀ − I‖²_F)} and returns each matrix's importance
 * ({@link SensitivityTracker}). The model must have adapters on all candidates.
 */
public final class ImportanceProbe {

    /**
     * @param steps  probe steps
     * @param lr     AdamW learning rate (constant: the probe is short)
     * @param gamma  weight of the orthogonality regulariser (AdaLoRA uses 0.1)
     * @param layerwise per-block recompute ({@link Backprop#layerwise}), as a quantized base trains
     */
    public record Options(int steps, float lr, float gamma, long seed, boolean layerwise) {
        public Options {
            if (steps <= 0 || !(lr > 0) || !(gamma >= 0)) {
                throw new IllegalArgumentException("probe needs steps > 0, lr > 0, gamma >= 0: " + steps + ", " + lr + ", " + gamma);
            }
        }

        /** Whole-graph backward. */
        public Options(int steps, float lr, float gamma, long seed) {
            this(steps, lr, gamma, seed, false);
        }
    }

    private ImportanceProbe() {}

    /**
     * Runs the probe; {@code batches} makes the next batch in the given step scope.
     *
     * @return importance per adapted matrix
     */
    public static <B> Map<MatrixId, Double> run(TransformerModel model, LayeredObjective<B> objective,
            Function<NDManager, B> batches, Options options) {
        model.useSvdForm(options.seed());
        List<NDArray> params = model.adapterParameters();
        AdamW optimizer = new AdamW(params, 0.9f, 0.999f, 1e-8f, 0f, 1f);
        LayeredObjective<B> regularized = LayeredObjective.withLoss(objective,
                (top, batch) -> withOrthogonalityPenalty(model, objective.loss(top, batch), options.gamma()));
        try (SensitivityTracker tracker = new SensitivityTracker(model, 0.85f, 0.85f)) {
            for (int s = 0; s < options.steps(); s++) {
                try (NDManager step = model.manager().newSubManager()) {
                    for (NDArray p : params) {
                        // Ops on the adapters (PᵀP, QQᵀ) must land in the step, not in the model.
                        p.tempAttach(step);
                    }
                    B batch = batches.apply(step);
                    long dropoutSeed = options.seed() * 31 + s;
                    if (options.layerwise()) {
                        Backprop.layerwise(regularized, batch, dropoutSeed);
                    } else {
                        Backprop.whole(regularized, batch, dropoutSeed);
                    }
                    tracker.update(step);
                    optimizer.step(step, options.lr());
                }
            }
            return tracker.matrixScores();
        }
    }

    /** {@code loss + γ·Σ (‖PᵀP − I‖²_F + ‖QQᵀ − I‖²_F)} over every adapter (AdaLoRA's regulariser). */
    private static NDArray withOrthogonalityPenalty(TransformerModel model, NDArray loss, float gamma) {
        if (gamma == 0) {
            return loss;
        }
        NDManager scope = loss.getManager();
        NDArray penalty = null;
        for (MatrixId id : model.adaptedMatrices()) {
            LoraLinear l = model.linear(id);
            NDArray eye = scope.eye(l.rank());
            NDArray pt = l.loraB().transpose(); // [r, out]
            NDArray ptp = Linear.linear(pt, pt).singletonOrThrow(); // PᵀP [r, r]
            NDArray qqt = Linear.linear(l.loraA(), l.loraA()).singletonOrThrow(); // QQᵀ [r, r]
            NDArray term = ptp.sub(eye).square().sum().add(qqt.sub(eye).square().sum());
            penalty = penalty == null ? term : penalty.add(term);
        }
        // gamma multiplies a graph value: keep the scalar alive until backward (decision 0005).
        return penalty == null ? loss : loss.add(penalty.mul(TransformerModel.scalar(scope, gamma)));
    }
}
