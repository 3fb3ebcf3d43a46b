package io.fedpipe.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * Runs optimizer steps of a {@link LayeredObjective} on its trainable arrays: backprop (whole
 * or per block), AdamW with global-norm clipping, warm-up and linear decay.
 *
 * @param <B> batch type
 */
public final class LocalTrainer<B> {

    /** What one step did. {@code skipped}: the gradients were not finite and nothing was updated. */
    public record StepResult(int step, float loss, double gradNorm, float learningRate, boolean skipped) {}

    private final LayeredObjective<B> objective;
    private final TrainingOptions options;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private int step;

    public LocalTrainer(LayeredObjective<B> objective, List<NDArray> trainables, TrainingOptions options) {
        this.objective = objective;
        this.options = options;
        this.optimizer = new AdamW(trainables, 0.9f, 0.999f, 1e-8f, options.weightDecay(), options.maxGradNorm());
        this.schedule = options.schedule();
    }

    /** One step on {@code batch}, whose arrays (and all temporaries) live in {@code scope}. */
    public StepResult step(NDManager scope, B batch) {
        long dropoutSeed = options.seed() * 7_919L + step;
        float loss = options.layerwise()
                ? Backprop.layerwise(objective, batch, dropoutSeed)
                : Backprop.whole(objective, batch, dropoutSeed);
        float lr = schedule.at(Math.min(step, options.steps() - 1));
        double norm = optimizer.step(scope, lr);
        StepResult r = new StepResult(step, loss, norm, lr, !Double.isFinite(norm) || !Float.isFinite(loss));
        step++;
        return r;
    }

    public int stepsDone() {
        return step;
    }

    public TrainingOptions options() {
        return options;
    }
}
