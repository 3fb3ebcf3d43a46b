package io.fedpipe.train;

/**
 * How a local fine-tuning run optimizes.
 *
 * @param steps        optimizer steps
 * @param learningRate peak learning rate
 * @param warmupSteps  linear warm-up steps
 * @param weightDecay  decoupled weight decay λ
 * @param maxGradNorm  global-norm clip, {@code <= 0} off
 * @param layerwise    recompute per block ({@link Backprop#layerwise}): less memory, one extra forward
 * @param seed         seeds dropout masks and data order
 */
public record TrainingOptions(
        int steps, float learningRate, int warmupSteps, float weightDecay, float maxGradNorm, boolean layerwise, long seed) {

    public TrainingOptions {
        if (steps <= 0) {
            throw new IllegalArgumentException("steps must be positive: " + steps);
        }
        if (warmupSteps < 0 || warmupSteps > steps) {
            throw new IllegalArgumentException("warmup steps must be in [0, steps]: " + warmupSteps);
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weight decay must be >= 0: " + weightDecay);
        }
        // The learning rate is checked by LrSchedule.
        new LrSchedule(learningRate, warmupSteps, steps);
    }

    public LrSchedule schedule() {
        return new LrSchedule(learningRate, warmupSteps, steps);
    }
}
