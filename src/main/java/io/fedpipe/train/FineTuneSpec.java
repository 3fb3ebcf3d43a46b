package io.fedpipe.train;

import io.fedpipe.lora.LoraTarget;
import java.nio.file.Path;
import java.util.Set;

/**
 * Everything a local LoRA fine-tuning run of an encoder classifier needs.
 *
 * @param model        built-in model name or Hugging Face directory
 * @param task         built-in task name or JSONL task directory
 * @param bits         storage of the frozen base: fp32, bf16, fp16, int8, nf4
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
        targets = Set.copyOf(targets);
    }

    public boolean layerwiseOrDefault() {
        return layerwise != null ? layerwise : !"fp32".equalsIgnoreCase(bits);
    }
}
