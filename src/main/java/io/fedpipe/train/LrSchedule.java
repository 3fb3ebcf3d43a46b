package io.fedpipe.train;

/**
 * Linear warm-up to {@code peak} over {@code warmup} steps, then linear decay to zero at
 * {@code total} steps (the schedule of BERT and of most LoRA recipes).
 */
public record LrSchedule(float peak, int warmup, int total) {

    public LrSchedule {
        if (!(peak > 0) || !Float.isFinite(peak)) {
            throw new IllegalArgumentException("learning rate must be positive: " + peak);
        }
        if (total <= 0 || warmup < 0 || warmup > total) {
            throw new IllegalArgumentException("need 0 <= warmup (" + warmup + ") <= total steps (" + total + ") and total > 0");
        }
    }

    /** Learning rate for 0-based {@code step}. */
    public float at(int step) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        int decaySteps = total - warmup;
        if (decaySteps == 0) {
            return peak;
        }
        return peak * Math.max(0f, (float) (total - step) / decaySteps);
    }
}
