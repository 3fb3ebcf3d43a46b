package io.fedpipe.planning;

import io.fedpipe.quant.QuantFormat;

/**
 * One configuration c = (bits, batch, rank) of one node class with its precomputed coefficients:
 * memory m_c, step time t_c, transfer time tr_c, and capacity r / r_max.
 */
record Candidate(QuantFormat format, int batch, int rank, MemoryModel.Breakdown memory, double stepSeconds,
                 double transferSeconds, double capacity) {

    /** Useful work per second of compute: samples × capacity / t. */
    double rate() {
        return batch * capacity / stepSeconds;
    }

    /** Most steps that fit in {@code roundSeconds} after the transfer (may be below the minimum). */
    int stepsWithin(double roundSeconds, int maxSteps) {
        double steps = Math.floor((roundSeconds - transferSeconds) / stepSeconds + 1e-9);
        return (int) Math.max(0, Math.min(maxSteps, steps));
    }

    double finishSeconds(int steps) {
        return steps * stepSeconds + transferSeconds;
    }
}
