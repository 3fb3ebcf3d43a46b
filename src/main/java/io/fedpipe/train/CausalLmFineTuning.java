package io.fedpipe.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.data.GenerationExample;
import io.fedpipe.data.GenerationTask;
import io.fedpipe.generate.DecodingSettings;
import io.fedpipe.generate.Generator;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.model.CausalLm;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.quant.BaseQuantization;
import io.fedpipe.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * LoRA fine-tuning of a decoder on a {@link GenerationTask} on one machine: the loss is the
 * next-token cross-entropy on the completion tokens and the EOS after them only (the prompt
 * is context, not a target), then the test prompts are decoded with the adapted model.
 *
 * <p>Sequences are {@code prompt tokens + completion tokens + EOS}, prompt and completion
 * tokenized separately: generation starts from exactly the prompt's own tokens, so training and
 * decoding see the same boundary.
 */
public final class CausalLmFineTuning {

    private CausalLmFineTuning() {}

    /**
     * @param maxLength sequences longer than this (prompt + completion + EOS) are left out and counted
     */
    public record Spec(Set<LoraTarget> targets, int rank, float alpha, String bits, int steps, int batch,
                       int maxLength, float lr, int warmup, long seed, Boolean layerwise,
                       DecodingSettings decoding, int testPrompts) {
        public Spec {
            if (steps < 0 || batch < 1 || maxLength < 2 || rank < 1) {
                throw new IllegalArgumentException("need steps >= 0, batch >= 1, max length >= 2, rank >= 1");
            }
        }

        boolean layerwiseOrDefault() {
            return layerwise != null ? layerwise : !bits.equalsIgnoreCase("fp32");
        }
    }

    /** Called after every step, and as test prompts are decoded. */
    public interface Listener {
        Listener NONE = (r, tokens, seconds) -> {};

        void onStep(LocalTrainer.StepResult r, int tokens, double seconds);

        /** {@code done} of {@code total} test prompts decoded so far, {@code tokens} generated. */
        default void onDecoded(int done, int total, long tokens, double seconds) {}
    }

    /** What a run did; {@code model} holds the adapted model until the caller closes it. */
    public record Result(int steps, double firstLoss, double finalLoss, double validationLoss, double baseValidationLoss,
                         long trainableParameters, double tokensPerSecond, int tooLong, int skippedSteps,
                         List<String> predictions, List<List<String>> references, double generationTokensPerSecond,
                         LoraConfig lora, java.util.Map<io.fedpipe.core.MatrixId, io.fedpipe.lora.PeftAdapters.Adapter> adapters) {}

    /** An encoded example: ids and the loss mask (1 where the id is a target). */
    public record Encoded(long[] ids, long[] targets) {}

    public static Result run(TransformerWeights base, TextTokenizer tokenizer, long eosId, GenerationTask task,
            Spec spec, NDManager parent, Listener listener) {
        TransformerConfig config = base.config();
        if (!config.causal()) {
            throw new IllegalArgumentException("causal-LM fine-tuning needs a decoder (GPT-2 or Llama family), got "
                    + config.family());
        }
        for (LoraTarget t : spec.targets()) {
            if (!config.targets().contains(t)) {
                throw new IllegalArgumentException(config.family() + " has no '" + t.key() + "' matrix to adapt");
            }
        }
        int maxLength = Math.min(spec.maxLength(), config.maxPositions());
        List<Encoded> train = new ArrayList<>();
        int tooLong = encodeAll(tokenizer, task.train(), eosId, maxLength, train);
        List<Encoded> validation = new ArrayList<>();
        tooLong += encodeAll(tokenizer, task.validation(), eosId, maxLength, validation);
        if (train.isEmpty()) {
            throw new IllegalArgumentException("every training example is longer than " + maxLength + " tokens");
        }
        LoraConfig lora = LoraConfig.uniform(config.layers(), spec.targets(), spec.rank(), spec.alpha(), 0f);
        FrozenWeightFactory freezer = BaseQuantization.factory(spec.bits());
        try (NDManager manager = parent.newSubManager();
                TransformerModel model = TransformerModel.create(manager, base, lora, freezer, spec.seed())) {
            CausalLm lm = new CausalLm(model);
            double baseValidation = validation.isEmpty() ? Double.NaN : loss(manager, lm, validation, eosId, 32);
            double firstLoss = Double.NaN;
            ClassifierFineTuning.LossAverage average = new ClassifierFineTuning.LossAverage();
            double seconds = 0;
            long tokens = 0;
            int skipped = 0;
            if (spec.steps() > 0) {
                TrainingOptions options = new TrainingOptions(spec.steps(), spec.lr(), spec.warmup(), 0.01f, 1.0f,
                        spec.layerwiseOrDefault(), spec.seed());
                LocalTrainer<TokenBatch> trainer = new LocalTrainer<>(new CausalLmObjective(lm, false),
                        model.adapterParameters(), options);
                int[] lengths = train.stream().mapToInt(e -> e.ids().length).toArray();
                ClassifierFineTuning.BatchSampler sampler = new ClassifierFineTuning.BatchSampler(lengths, spec.batch(),
                        spec.seed());
                for (int s = 0; s < spec.steps(); s++) {
                    int[] idx = sampler.next();
                    long t0 = System.nanoTime();
                    LocalTrainer.StepResult r;
                    int real;
                    try (NDManager step = manager.newSubManager()) {
                        TokenBatch batch = batch(step, pick(train, idx), eosId);
                        real = batch.realTokens();
                        r = trainer.step(step, batch);
                    }
                    double dt = (System.nanoTime() - t0) / 1e9;
                    seconds += dt;
                    tokens += real;
                    if (r.skipped()) {
                        skipped++;
                    } else {
                        firstLoss = Double.isNaN(firstLoss) ? r.loss() : firstLoss;
                        average.add(r.loss());
                    }
                    listener.onStep(r, real, dt);
                }
            }
            double validationLoss = validation.isEmpty() ? Double.NaN : loss(manager, lm, validation, eosId, 32);
            // Decode the test prompts.
            int n = spec.testPrompts() <= 0 ? task.test().size() : Math.min(spec.testPrompts(), task.test().size());
            List<String> predictions = new ArrayList<>(n);
            List<List<String>> references = new ArrayList<>(n);
            Generator generator = new Generator(lm);
            long generated = 0;
            long g0 = System.nanoTime();
            int chunk = spec.decoding().beams() == 1 ? 32 : 1;
            for (int from = 0; from < n; from += chunk) {
                int to = Math.min(n, from + chunk);
                List<long[]> prompts = new ArrayList<>();
                for (int i = from; i < to; i++) {
                    prompts.add(tokenizer.encode(task.test().get(i).prompt()).ids());
                }
                List<Generator.Output> outs = generator.generate(manager, prompts, spec.decoding());
                for (int i = from; i < to; i++) {
                    long[] ids = outs.get(i - from).ids();
                    generated += ids.length;
                    predictions.add(tokenizer.decode(ids, true).strip());
                    references.add(task.test().get(i).references());
                }
                listener.onDecoded(to, n, generated, (System.nanoTime() - g0) / 1e9);
            }
            double genSeconds = (System.nanoTime() - g0) / 1e9;
            return new Result(spec.steps(), firstLoss, average.value(), validationLoss, baseValidation,
                    model.adapterParameters().stream().mapToLong(NDArray::size).sum(),
                    seconds > 0 ? tokens / seconds : 0, tooLong, skipped, predictions, references,
                    generated / Math.max(genSeconds, 1e-9), lora, FineTuneExport.adapters(model));
        }
    }

    private static List<Encoded> pick(List<Encoded> all, int[] idx) {
        List<Encoded> out = new ArrayList<>(idx.length);
        for (int i : idx) {
            out.add(all.get(i));
        }
        return out;
    }

    /** Encodes {@code examples} into {@code out}; returns how many were longer than {@code maxLength}. */
    public static int encodeAll(TextTokenizer tokenizer, List<GenerationExample> examples, long eosId, int maxLength,
            List<Encoded> out) {
        int tooLong = 0;
        for (GenerationExample e : examples) {
            long[] prompt = tokenizer.encode(e.prompt()).ids();
            long[] completion = tokenizer.encode(e.completion()).ids();
            int n = prompt.length + completion.length + 1;
            if (n > maxLength || prompt.length == 0) {
                tooLong++;
                continue;
            }
            long[] ids = new long[n];
            long[] targets = new long[n];
            System.arraycopy(prompt, 0, ids, 0, prompt.length);
            System.arraycopy(completion, 0, ids, prompt.length, completion.length);
            ids[n - 1] = eosId;
            java.util.Arrays.fill(targets, prompt.length, n, 1L);
            out.add(new Encoded(ids, targets));
        }
        return tooLong;
    }

    /**
     * A right-padded batch whose "attention mask" is the loss mask: in a causal model, right
     * padding is never attended by real positions, so the mask only selects the scored targets
     * (completion tokens and EOS; {@link CausalLm#loss}).
     */
    public static TokenBatch batch(NDManager scope, List<Encoded> examples, long padId) {
        int b = examples.size();
        int t = examples.stream().mapToInt(e -> e.ids().length).max().orElseThrow();
        long[] ids = new long[b * t];
        long[] mask = new long[b * t];
        int real = 0;
        for (int i = 0; i < b; i++) {
            Encoded e = examples.get(i);
            java.util.Arrays.fill(ids, i * t, (i + 1) * t, padId);
            System.arraycopy(e.ids(), 0, ids, i * t, e.ids().length);
            System.arraycopy(e.targets(), 0, mask, i * t, e.targets().length);
            real += e.ids().length;
        }
        return new TokenBatch(scope.create(ids, new Shape(b, t)), scope.create(mask, new Shape(b, t)), null, real);
    }

    /** Mean completion-token loss over {@code data} (each example weighted by its target count). */
    public static double loss(NDManager manager, CausalLm lm, List<Encoded> data, long padId, int batchSize) {
        double sum = 0;
        long count = 0;
        for (int from = 0; from < data.size(); from += batchSize) {
            List<Encoded> part = data.subList(from, Math.min(data.size(), from + batchSize));
            try (NDManager scope = manager.newSubManager()) {
                TokenBatch batch = batch(scope, part, padId);
                NDArray logits = lm.logits(batch.ids(), null, false);
                long targets = batch.attentionMask().get(new ai.djl.ndarray.index.NDIndex(":, 1:")).sum().getLong();
                sum += CausalLm.loss(logits, batch.ids(), batch.attentionMask()).getFloat() * targets;
                count += targets;
            }
        }
        return sum / Math.max(1, count);
    }
}
