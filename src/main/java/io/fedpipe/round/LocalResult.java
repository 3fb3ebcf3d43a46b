package io.fedpipe.round;

import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.lora.PeftAdapters;

/**
 * What one node's local round produced: the update it sends back, and how the training went.
 *
 * @param update         adapters, scales and head to aggregate
 * @param computeSeconds measured wall-clock seconds of local training on this machine (batching and
 *                       optimizer steps; not building the model)
 * @param firstLoss      loss of the first step (NaN when every step was skipped)
 * @param lastLoss       loss of the last non-skipped step
 * @param skippedSteps   steps whose gradients were not finite (nothing updated)
 * @param validation     the trained model on the node's own validation split ({@link LocalEvaluation#NONE}
 *                       when it has none)
 */
public record LocalResult(NodeUpdate update, double computeSeconds, double firstLoss, double lastLoss,
        int skippedSteps, LocalEvaluation validation) {

    /** A result without a local evaluation (a node that holds no validation split). */
    public LocalResult(NodeUpdate update, double computeSeconds, double firstLoss, double lastLoss, int skippedSteps) {
        this(update, computeSeconds, firstLoss, lastLoss, skippedSteps, LocalEvaluation.NONE);
    }

    public LocalResult {
        if (update == null) {
            throw new IllegalArgumentException("a local result needs an update");
        }
        if (!(computeSeconds >= 0)) {
            throw new IllegalArgumentException("compute seconds must be >= 0: " + computeSeconds);
        }
        if (validation == null) {
            validation = LocalEvaluation.NONE;
        }
    }

    /** Bytes on the wire as float32: every adapter factor and dense tensor sent back. */
    public long bytes() {
        long floats = 0;
        for (PeftAdapters.Adapter a : update.adapters().values()) {
            floats += a.a().data().length + a.b().data().length;
        }
        return 4 * (floats + NodeAssignment.denseFloats(update.dense()));
    }
}
