package io.fedpipe.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.data.GenerationTask;
import io.fedpipe.data.GenerationTasks;
import io.fedpipe.eval.GenerationMetrics;
import io.fedpipe.eval.GenerationScores;
import io.fedpipe.generate.DecodingSettings;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.model.hf.GenerationIds;
import io.fedpipe.tokenize.TextTokenizer;
import io.fedpipe.train.CausalLmExport;
import io.fedpipe.train.CausalLmFineTuning;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * {@code fedpipe train} for decoders: LoRA fine-tuning on a generation task, then decoding the
 * task's test prompts and scoring them (BLEU, NIST, METEOR, ROUGE-L, CIDEr), then
 * {@code merged/}, {@code adapter/} and {@code predictions.txt} under {@code --out}.
 */
final class DecoderTraining {

    private DecoderTraining() {}

    /** Whether {@code model} names a decoder (built-in or a directory whose config is GPT-2/Llama family). */
    static boolean isDecoder(String model) throws IOException {
        var dir = PretrainedModels.directoryOf(model);
        if (dir.isEmpty()) {
            return false;
        }
        var config = new ObjectMapper().readTree(dir.get().resolve("config.json").toFile());
        String type = config == null ? "" : config.path("model_type").asText("");
        return !type.equals("bert");
    }

    /** Decoding the test prompts takes minutes: a line on stderr every 10% (stdout stays the result). */
    private static final class DecodeProgress {
        private int lastDecile;

        void report(int done, int total, long tokens, double seconds) {
            int decile = done * 10 / total;
            if (decile > lastDecile || done == total) {
                lastDecile = decile;
                System.err.printf(Locale.ROOT, "decoded %d/%d test prompts, %,.1f tokens/s, ETA %.0f s%n", done, total,
                        tokens / seconds, seconds / done * (total - done));
            }
        }
    }

    static int run(TrainCommand c, PrintWriter out, NDManager manager) throws IOException {
        Path source = PretrainedModels.directoryOf(c.model).orElseThrow();
        if (c.out != null) {
            if (Files.exists(c.out) && !Files.isDirectory(c.out)) {
                throw new IllegalArgumentException("--out " + c.out + " exists and is not a directory");
            }
            Files.createDirectories(c.out);
        }
        TransformerWeights base = PretrainedModels.load(c.model);
        GenerationIds ids = GenerationIds.read(source, base.config().vocabSize());
        if (ids.eos() < 0) {
            throw new IllegalArgumentException(source + ": the model has no eos_token_id (config.json or "
                    + GenerationIds.FILE_NAME + "); generation could never stop");
        }
        Path tokenizerFile = source.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new IllegalArgumentException("model directory " + source + " has no tokenizer.json");
        }
        GenerationTask task = GenerationTasks.load(c.task, c.seed);
        if (task.test().isEmpty()) {
            throw new IllegalArgumentException(task.name() + " has no test prompts (test.jsonl) to decode and score");
        }
        int maxLength = c.maxLength > 0 ? c.maxLength : Math.min(256, base.config().maxPositions());
        DecodingSettings decoding = new DecodingSettings(c.maxNewTokens, c.beams, c.lengthPenalty, c.noRepeatNgram,
                ids.eos());
        Set<LoraTarget> targets = base.config().parseTargets(c.targets);
        CausalLmFineTuning.Spec spec = new CausalLmFineTuning.Spec(targets, c.rank, c.alpha, c.bits, c.steps, c.batch,
                maxLength, c.lr, c.warmup >= 0 ? c.warmup : Math.round(c.steps * 0.06f), c.seed, c.layerwise,
                decoding, c.testPrompts);
        out.printf(Locale.ROOT, "model %s (%s, %,d parameters), task %s: %,d training, %,d validation pairs, %,d test prompts%n",
                c.model, base.config().family(), base.parameterCount(), task.name(), task.train().size(),
                task.validation().size(), task.test().size());
        out.flush();
        CausalLmFineTuning.Result r;
        DecodeProgress decodeProgress = new DecodeProgress();
        try (TextTokenizer tokenizer = TextTokenizer.fromFile(tokenizerFile, 1 << 16, TextTokenizer.Overflow.REJECT)) {
            if (c.json || c.steps == 0) {
                r = CausalLmFineTuning.run(base, tokenizer, ids.eos(), task, spec, manager, new CausalLmFineTuning.Listener() {
                    @Override
                    public void onStep(io.fedpipe.train.LocalTrainer.StepResult s, int tokens, double seconds) {}

                    @Override
                    public void onDecoded(int done, int total, long tokens, double seconds) {
                        decodeProgress.report(done, total, tokens, seconds);
                    }
                });
            } else {
                try (ProgressBar bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(c.steps)
                        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).showSpeed().build()) {
                    double[] ema = {Double.NaN, Double.NaN};
                    r = CausalLmFineTuning.run(base, tokenizer, ids.eos(), task, spec, manager, new CausalLmFineTuning.Listener() {
                        @Override
                        public void onStep(io.fedpipe.train.LocalTrainer.StepResult s, int tokens, double seconds) {
                            ema[0] = Double.isNaN(ema[0]) ? s.loss() : 0.9 * ema[0] + 0.1 * s.loss();
                            double tps = tokens / seconds;
                            ema[1] = Double.isNaN(ema[1]) ? tps : 0.9 * ema[1] + 0.1 * tps;
                            bar.step();
                            bar.setExtraMessage(String.format(Locale.ROOT, " loss %.3f  %,.0f tok/s", ema[0], ema[1]));
                        }

                        @Override
                        public void onDecoded(int done, int total, long tokens, double seconds) {
                            decodeProgress.report(done, total, tokens, seconds);
                        }
                    });
                }
            }
        }
        GenerationScores scores = GenerationMetrics.score(r.predictions(), r.references());
        if (c.out != null) {
            Files.write(c.out.resolve("predictions.txt"), r.predictions());
            CausalLmExport.write(c.out, source, c.model, base, r.adapters(), r.lora());
        }
        if (c.json) {
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("model", c.model);
            o.put("task", task.name());
            o.put("bits", c.bits);
            o.put("steps", r.steps());
            o.put("first_loss", r.firstLoss());
            o.put("final_loss", r.finalLoss());
            o.put("validation_loss", r.validationLoss());
            o.put("base_validation_loss", r.baseValidationLoss());
            o.put("trainable_parameters", r.trainableParameters());
            o.put("tokens_per_s", r.tokensPerSecond());
            o.put("generation_tokens_per_s", r.generationTokensPerSecond());
            o.put("test_prompts", r.predictions().size());
            o.put("too_long", r.tooLong());
            ObjectNode metrics = o.putObject("metrics");
            metrics.put("bleu", scores.bleu());
            metrics.put("nist", scores.nist());
            metrics.put("meteor", scores.meteor());
            metrics.put("rouge_l", scores.rougeL());
            metrics.put("cider", scores.cider());
            out.println(o);
        } else {
            out.printf(Locale.ROOT, "%nloss %.3f -> %.3f; validation loss %.3f (perplexity %.1f), base %.3f (perplexity %.1f)%n",
                    r.firstLoss(), r.finalLoss(), r.validationLoss(), Math.exp(r.validationLoss()), r.baseValidationLoss(),
                    Math.exp(r.baseValidationLoss()));
            out.printf(Locale.ROOT, "%,d trainable parameters, %,.0f tokens/s training, %,.0f tokens/s decoding (%d beams)%n",
                    r.trainableParameters(), r.tokensPerSecond(), r.generationTokensPerSecond(), c.beams);
            if (r.tooLong() > 0) {
                out.printf(Locale.ROOT, "%d examples longer than %d tokens were left out%n", r.tooLong(), maxLength);
            }
            out.printf(Locale.ROOT, "test (%d prompts): BLEU %.4f  NIST %.4f  METEOR %.4f  ROUGE-L %.4f  CIDEr %.4f%n",
                    r.predictions().size(), scores.bleu(), scores.nist(), scores.meteor(), scores.rougeL(), scores.cider());
            if (c.out != null) {
                out.println("wrote " + c.out + "/merged (Hugging Face), " + c.out + "/adapter (PEFT), " + c.out
                        + "/predictions.txt");
            }
        }
        out.flush();
        return 0;
    }
}
