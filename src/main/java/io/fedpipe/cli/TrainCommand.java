package io.fedpipe.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.runtime.TrainerSettings;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.train.ClassifierFineTuning;
import io.fedpipe.train.FineTuneResult;
import io.fedpipe.train.FineTuneSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fedpipe train}: local LoRA fine-tuning on one machine: an encoder classifier (MiniLM on a
 * topic task) or a decoder on a generation task ({@link DecoderTraining}).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Fine-tune a model locally with LoRA adapters on a quantized frozen base.")
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--model", defaultValue = "minilm-l6", description = "Built-in model (minilm-l6, fedpipe-lm-small) or a Hugging Face directory (BERT, GPT-2, Llama family). Default: ${DEFAULT-VALUE}")
    String model;

    @Option(names = "--task", defaultValue = "wordnet-topics",
            description = "Encoders: wordnet-topics, or a directory with train.jsonl and validation.jsonl ({text, label}). "
                    + "Decoders: e2e, or a directory with train.jsonl, validation.jsonl, test.jsonl ({prompt, completion} or "
                    + "Alpaca {instruction, input, output}). Default: ${DEFAULT-VALUE}")
    String task;

    @Option(names = "--targets", defaultValue = "q,k,v,o", description = "Adapted matrices: q,k,v,o,gate,ffn_in,ffn_out (or q_proj, …, down_proj). Default: ${DEFAULT-VALUE}")
    String targets;

    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank. Default: ${DEFAULT-VALUE}")
    int rank;

    @Option(names = "--alpha", defaultValue = "16", description = "LoRA alpha. Default: ${DEFAULT-VALUE}")
    float alpha;

    @Option(names = "--lora-dropout", defaultValue = "0", description = "Dropout on adapter inputs. Default: ${DEFAULT-VALUE}")
    float loraDropout;

    @Option(names = "--bits", defaultValue = "fp32", description = "Frozen base storage: fp32, bf16, fp16, int8, nf4. Default: ${DEFAULT-VALUE}")
    String bits;

    @Option(names = "--steps", defaultValue = "300", description = "Optimizer steps. Default: ${DEFAULT-VALUE}")
    int steps;

    @Option(names = "--batch", defaultValue = "32", description = "Examples per step. Default: ${DEFAULT-VALUE}")
    int batch;

    @Option(names = "--max-length", defaultValue = "-1", description = "Tokens per example (classifier default 64, longer ones truncated; decoder default 256, longer ones left out; both counted).")
    int maxLength;

    @Option(names = "--lr", defaultValue = "2e-3", description = "Peak learning rate. Default: ${DEFAULT-VALUE}")
    float lr;

    @Option(names = "--warmup", defaultValue = "-1", description = "Warm-up steps (default: 6%% of steps).")
    int warmup;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for data order and initialisation. Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--eval-examples", defaultValue = "2000", description = "Validation examples to score (0: all). Default: ${DEFAULT-VALUE}")
    int evalExamples;

    @Option(names = "--layerwise", negatable = true,
            description = "Recompute per block to save memory (default: on for quantized bases).")
    Boolean layerwise;

    @Option(names = "--threads", defaultValue = "-1",
            description = "Intra-op threads (default: fedpipe.trainer.threads of the config; 0 = all cores).")
    int threads;

    @Option(names = "--config", description = "A config overlay on application.conf, e.g. cluster-configs/local.conf.")
    Path config;

    @Option(names = "--out", description = "Write merged/ (Hugging Face) and adapter/ (PEFT) here.")
    Path out;

    @Option(names = "--json", description = "Print the final metrics as one JSON object and no progress bar.")
    boolean json;

    @Option(names = "--beams", defaultValue = "10", description = "Decoders: beam width for the test prompts (1 = greedy). Default: ${DEFAULT-VALUE}")
    int beams;

    @Option(names = "--length-penalty", defaultValue = "0.9", description = "Decoders: beam length penalty. Default: ${DEFAULT-VALUE}")
    double lengthPenalty;

    @Option(names = "--no-repeat-ngram", defaultValue = "4", description = "Decoders: no repeated n-gram of this size (0 = off). Default: ${DEFAULT-VALUE}")
    int noRepeatNgram;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Decoders: tokens generated per test prompt at most. Default: ${DEFAULT-VALUE}")
    int maxNewTokens;

    @Option(names = "--test-prompts", defaultValue = "0", description = "Decoders: test prompts to decode and score (0 = all). Default: ${DEFAULT-VALUE}")
    int testPrompts;

    @Spec
    CommandSpec command;

    @Override
    public Integer call() throws Exception {
        if (DecoderTraining.isDecoder(model)) {
            TrainerSettings settings = TrainerSettings.fromConfig(TrainerSettings.load(config));
            EngineSetup.start(threads < 0 ? settings.effectiveThreads() : threads == 0
                    ? Runtime.getRuntime().availableProcessors() : threads);
            try (NDManager manager = NDManager.newBaseManager(settings.resolveDevice())) {
                return DecoderTraining.run(this, command.commandLine().getOut(), manager);
            }
        }
        FineTuneSpec spec = new FineTuneSpec(model, task, LoraTarget.parseList(targets), rank, alpha, loraDropout,
                bits, steps, batch, maxLength > 0 ? maxLength : 64, lr, warmup >= 0 ? warmup : Math.round(steps * 0.06f),
                seed, evalExamples, layerwise, out);
        TrainerSettings settings = TrainerSettings.fromConfig(TrainerSettings.load(config));
        int intraOp = threads < 0 ? settings.effectiveThreads() : threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        EngineSetup.start(intraOp);
        FineTuneResult result;
        try (NDManager manager = NDManager.newBaseManager(settings.resolveDevice())) {
            if (json) {
                result = ClassifierFineTuning.run(spec, manager, ClassifierFineTuning.Listener.NONE);
            } else {
                try (ProgressBar bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(steps)
                        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).showSpeed().build()) {
                    double[] ema = {Double.NaN, Double.NaN};
                    result = ClassifierFineTuning.run(spec, manager, (r, tokens, seconds) -> {
                        ema[0] = Double.isNaN(ema[0]) ? r.loss() : 0.9 * ema[0] + 0.1 * r.loss();
                        double tps = tokens / seconds;
                        ema[1] = Double.isNaN(ema[1]) ? tps : 0.9 * ema[1] + 0.1 * tps;
                        bar.step();
                        bar.setExtraMessage(String.format(Locale.ROOT, " loss %.3f  %,.0f tok/s", ema[0], ema[1]));
                    });
                }
            }
        }
        PrintWriter stdout = command.commandLine().getOut();
        if (json) {
            stdout.println(new ObjectMapper().writeValueAsString(result));
        } else {
            stdout.printf(Locale.ROOT, "%nmodel %s, task %s, base %s, %d steps, %d classes%n", result.model(),
                    result.task(), result.bits(), result.steps(), result.classes());
            stdout.printf(Locale.ROOT, "loss %.3f -> %.3f, %,.0f tokens/s, %d trainable parameters, frozen linears %.1f MB%n",
                    result.firstLoss(), result.finalLoss(), result.tokensPerSecond(), result.trainableParameters(),
                    result.frozenLinearBytes() / 1e6);
            stdout.printf(Locale.ROOT, "validation (%d examples): accuracy %.4f, macro-F1 %.4f; majority-class baseline %.4f%n",
                    result.evaluated(), result.accuracy(), result.macroF1(), result.majorityBaseline());
            if (result.skippedSteps() > 0) {
                stdout.printf(Locale.ROOT, "%d steps skipped for non-finite gradients%n", result.skippedSteps());
            }
            if (result.outputDirectory() != null) {
                stdout.println("wrote " + result.outputDirectory() + "/merged (Hugging Face) and "
                        + result.outputDirectory() + "/adapter (PEFT)");
            }
        }
        stdout.flush();
        return 0;
    }
}
