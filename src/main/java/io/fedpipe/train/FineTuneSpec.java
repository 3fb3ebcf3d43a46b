package io.fedpipe.train;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.quant.QuantFormat;
import java.nio.file.Path;
import java.util.Set;

/**
 * Everything a local LoRA fine-tuning run of an encoder classifier needs.
 *
 * @param model        built-in model name ({@link io.fedpipe.model.PretrainedModels})
 * @param task         built-in task name or JSONL task directory
 * @param bits         storage of the frozen base: fp32, bf16, fp16, int8, nf4 (any case; kept lower-case)
 * @param layerwise    recompute per block (null: on for quantized bases, where it saves memory)
 * @param evalExamples validation examples scored at the end (0: all)
 * @param out          where the merged model and the adapters go, or null
 */
public record FineTuneSpec(
        String model,
        String task,
        Set<LoraTarget> targets,
        int rank,
        float alpha,
        float loraDropout,
        String bits,
        int steps,
        int batchSize,
        int maxLength,
        float learningRate,
        int warmupSteps,
        long seed,
        int evalExamples,
        Boolean layerwise,
        Path out) {

    public FineTuneSpec {
        if (rank <= 0) {
            throw new IllegalArgumentException("--rank must be positive: " + rank);
        }
        if (steps <= 0) {
            throw new IllegalArgumentException("--steps must be positive: " + steps);
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("--batch must be positive: " + batchSize);
        }
        if (maxLength < 8) {
            throw new IllegalArgumentException("--max-length must be at least 8: " + maxLength);
        }
        if (evalExamples < 0) {
            throw new IllegalArgumentException("--eval-examples must be >= 0: " + evalExamples);
        }
        if (targets == null || targets.isEmpty()) {
            throw new IllegalArgumentException("--targets must name at least one matrix");
        }
        targets = Set.copyOf(targets);
        // Checked here, before any data or model is loaded, so a typo fails at once.
        try {
            bits = QuantFormat.parse(bits).configName();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--bits: " + e.getMessage(), e);
        }
    }

    public boolean layerwiseOrDefault() {
        return layerwise != null ? layerwise : !QuantFormat.FP32.configName().equals(bits);
    }
}
