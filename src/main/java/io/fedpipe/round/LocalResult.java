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
 */
public record LocalResult(NodeUpdate update, double computeSeconds, double firstLoss, double lastLoss,
        int skippedSteps) {

    public LocalResult {
        if (update == null) {
            throw new IllegalArgumentException("a local result needs an update");
        }
        if (!(computeSeconds >= 0)) {
            throw new IllegalArgumentException("compute seconds must be >= 0: " + computeSeconds);
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
