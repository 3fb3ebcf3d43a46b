package io.fedpipe.train;

/**
 * What a fine-tuning run reached.
 *
 * @param firstLoss        loss of the first step that was not skipped
 * @param finalLoss        bias-corrected moving average (decay 0.9) of the step losses
 * @param majorityBaseline accuracy of always predicting the training set's most common class
 * @param tokensPerSecond  real (unpadded) training tokens per second of step time
 */
public record FineTuneResult(
        String model,
        String task,
        String bits,
        int steps,
        int classes,
        long trainableParameters,
        long frozenLinearBytes,
        double firstLoss,
        double finalLoss,
        double accuracy,
        double macroF1,
        int evaluated,
        double majorityBaseline,
        double trainSeconds,
        double tokensPerSecond,
        int skippedSteps,
        int truncatedExamples,
        String outputDirectory) {}
