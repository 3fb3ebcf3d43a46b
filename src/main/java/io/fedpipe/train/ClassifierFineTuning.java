package io.fedpipe.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.data.ClassificationTasks;
import io.fedpipe.data.DatasetSplits;
import io.fedpipe.data.SeededRandom;
import io.fedpipe.eval.ClassificationMetrics;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.quant.BaseQuantization;
import io.fedpipe.tokenize.TextTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A local LoRA fine-tuning run of an encoder classifier, end to end: data, tokenizer,
 * model with a quantized frozen base, training, evaluation, and export of the merged model
 * and the PEFT adapters. This is what {@code fedpipe train} runs and what each federated
 * node will run per round.
 */
public final class ClassifierFineTuning {

    /** Progress callback, called after each step. */
    public interface Listener {
        void onStep(LocalTrainer.StepResult step, int realTokens, double stepSeconds);

        Listener NONE = (s, t, d) -> {};
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ClassifierFineTuning.class);

    private ClassifierFineTuning() {}

    public static FineTuneResult run(FineTuneSpec spec, NDManager parent, Listener listener) throws IOException {
        if (spec.out() != null) {
            FineTuneExport.prepare(spec.out());
        }
        DatasetSplits splits = ClassificationTasks.load(spec.task(), spec.seed());
        ClassificationDataset train = splits.train();
        ClassificationDataset validation = splits.validation();
        TransformerWeights weights = PretrainedModels.load(spec.model());
        TransformerConfig config = weights.config();
        if (config.family() != TransformerConfig.Family.BERT) {
            throw new IllegalArgumentException("classification fine-tuning needs an encoder (BERT family); "
                    + spec.model() + " is " + config.family());
        }
        LoraConfig lora = LoraConfig.uniform(config.layers(), spec.targets(), spec.rank(), spec.alpha(), spec.loraDropout());
        FrozenWeightFactory freezer = BaseQuantization.factory(spec.bits());
        try (TextTokenizer tokenizer = tokenizerFor(spec);
                NDManager manager = parent.newSubManager();
                SequenceClassifier classifier = new SequenceClassifier(
                        TransformerModel.create(manager, weights, lora, freezer, spec.seed()), train.numLabels(), spec.seed())) {
            weights = null; // the host copy is no longer needed: let it be collected
            TrainingOptions options = new TrainingOptions(spec.steps(), spec.learningRate(), spec.warmupSteps(), 0.01f,
                    1.0f, spec.layerwiseOrDefault(), spec.seed());
            LocalTrainer<TokenBatch> trainer = new LocalTrainer<>(
                    new ClassificationObjective(classifier, spec.loraDropout() > 0), classifier.trainableParameters(), options);
            int[] lengths = new int[train.size()];
            for (int i = 0; i < lengths.length; i++) {
                lengths[i] = train.get(i).text().length();
            }
            BatchSampler sampler = new BatchSampler(lengths, spec.batchSize(), spec.seed());
            double firstLoss = Double.NaN;
            LossAverage finalLoss = new LossAverage();
            double trainSeconds = 0;
            long realTokens = 0;
            int skipped = 0;
            for (int s = 0; s < spec.steps(); s++) {
                int[] idx = sampler.next();
                List<String> texts = new ArrayList<>(idx.length);
                int[] labels = new int[idx.length];
                for (int i = 0; i < idx.length; i++) {
                    texts.add(train.get(idx[i]).text());
                    labels[i] = train.labelIndexAt(idx[i]);
                }
                long t0 = System.nanoTime();
                LocalTrainer.StepResult r;
                int tokens;
                try (NDManager step = manager.newSubManager()) {
                    TokenBatch batch = TokenBatch.of(step, encode(tokenizer, texts), labels, tokenizer.padId());
                    tokens = batch.realTokens();
                    r = trainer.step(step, batch);
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                trainSeconds += seconds;
                realTokens += tokens;
                if (r.skipped()) {
                    skipped++;
                    LOG.warn("step {} skipped: loss {}, gradient norm {} (not finite); adapters unchanged",
                            r.step(), r.loss(), r.gradNorm());
                } else {
                    firstLoss = Double.isNaN(firstLoss) ? r.loss() : firstLoss;
                    finalLoss.add(r.loss());
                }
                listener.onStep(r, tokens, seconds);
            }
            ClassificationDataset eval = spec.evalExamples() == 0 || spec.evalExamples() >= validation.size()
                    ? validation : validation.head(spec.evalExamples());
            ClassificationMetrics metrics = evaluate(classifier, tokenizer, eval, manager);
            double majority = majorityBaseline(train, eval);
            String outDir = null;
            if (spec.out() != null) {
                outDir = FineTuneExport.write(spec, classifier, lora, train.labels(), tokenizer).toString();
            }
            return new FineTuneResult(spec.model(), spec.task(), spec.bits(), spec.steps(), train.numLabels(),
                    classifier.trainableParameters().stream().mapToLong(NDArray::size).sum(),
                    classifier.encoder().frozenLinearBytes(), firstLoss, finalLoss.value(), metrics.accuracy(),
                    metrics.macroF1(), eval.size(), majority, trainSeconds, realTokens / trainSeconds, skipped,
                    (int) tokenizer.truncatedCount(), outDir);
        }
    }

    /** The model directory's own tokenizer.json, or MiniLM's for the built-in model. */
    static TextTokenizer tokenizerFor(FineTuneSpec spec) throws IOException {
        if (PretrainedModels.isDirectory(spec.model())) {
            java.nio.file.Path file = java.nio.file.Path.of(spec.model()).resolve("tokenizer.json");
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw new IllegalArgumentException("model directory " + spec.model() + " has no tokenizer.json");
            }
            return TextTokenizer.fromFile(file, spec.maxLength(), TextTokenizer.Overflow.TRUNCATE);
        }
        return TextTokenizer.miniLm(spec.maxLength(), TextTokenizer.Overflow.TRUNCATE);
    }

    static List<long[]> encode(TextTokenizer tokenizer, List<String> texts) {
        List<long[]> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            out.add(tokenizer.encode(t).ids());
        }
        return out;
    }

    /** Accuracy and macro-F1 of the classifier on {@code data}, in batches of 64, without autograd. */
    public static ClassificationMetrics evaluate(SequenceClassifier classifier, TextTokenizer tokenizer,
            ClassificationDataset data, NDManager manager) {
        int[] predicted = new int[data.size()];
        int[] gold = data.labelIndices();
        for (int from = 0; from < data.size(); from += 64) {
            int to = Math.min(data.size(), from + 64);
            List<String> texts = new ArrayList<>();
            for (int i = from; i < to; i++) {
                texts.add(data.get(i).text());
            }
            try (NDManager scope = manager.newSubManager()) {
                TokenBatch batch = TokenBatch.of(scope, encode(tokenizer, texts), null, tokenizer.padId());
                long[] argmax = classifier.logits(batch.ids(), null, batch.attentionMask(), false).argMax(1)
                        .toLongArray();
                for (int i = 0; i < argmax.length; i++) {
                    predicted[from + i] = (int) argmax[i];
                }
            }
        }
        return ClassificationMetrics.compute(predicted, gold, data.numLabels());
    }

    /** Accuracy on {@code eval} of always answering the training set's most common class. */
    static double majorityBaseline(ClassificationDataset train, ClassificationDataset eval) {
        int[] counts = train.labelCounts();
        int majority = 0;
        for (int c = 1; c < counts.length; c++) {
            if (counts[c] > counts[majority]) {
                majority = c;
            }
        }
        int hits = 0;
        for (int g : eval.labelIndices()) {
            if (g == majority) {
                hits++;
            }
        }
        return eval.size() == 0 ? 0 : (double) hits / eval.size();
    }

    /**
     * Exponential moving average of the step losses (decay 0.9), bias-corrected as Adam's moments
     * are (Kingma &amp; Ba 2015, section 3). An average seeded with the first loss keeps 0.9^(n-1)
     * of it after n steps, a quarter after 14: such a run reported 0.47 as its final loss while
     * its last steps were at 0.03 to 0.06.
     */
    static final class LossAverage {
        private static final double DECAY = 0.9;
        private double average;
        private int count;

        void add(double loss) {
            average = DECAY * average + (1 - DECAY) * loss;
            count++;
        }

        /** The corrected average, or NaN before the first loss. */
        double value() {
            return count == 0 ? Double.NaN : average / (1 - Math.pow(DECAY, count));
        }
    }

    /**
     * Seeded epochs of shuffled indices, cut into batches of similar length. A batch is padded to
     * its longest example, so mixing a 10-token and a 60-token gloss wastes most of the work:
     * each window of {@value #WINDOW_BATCHES} batches is sorted by text length before cutting,
     * then the batches are served in shuffled order (the usual length bucketing).
     */
    public static final class BatchSampler {
        static final int WINDOW_BATCHES = 50;
        private final int[] lengths;
        private final int batch;
        private final SeededRandom random;
        private final java.util.ArrayDeque<int[]> ready = new java.util.ArrayDeque<>();

        public BatchSampler(int[] lengths, int batch, long seed) {
            if (lengths.length == 0) {
                throw new IllegalArgumentException("the training split is empty");
            }
            this.lengths = lengths;
            this.batch = Math.min(batch, lengths.length);
            this.random = SeededRandom.forPurpose(seed, "batches");
        }

        public int[] next() {
            if (ready.isEmpty()) {
                refill();
            }
            return ready.poll();
        }

        private void refill() {
            int[] order = random.permutation(lengths.length);
            int usable = order.length - order.length % batch;
            List<int[]> batches = new ArrayList<>();
            for (int from = 0; from < usable; from += batch * WINDOW_BATCHES) {
                int to = Math.min(usable, from + batch * WINDOW_BATCHES);
                Integer[] window = new Integer[to - from];
                for (int i = from; i < to; i++) {
                    window[i - from] = order[i];
                }
                java.util.Arrays.sort(window, java.util.Comparator.comparingInt((Integer i) -> lengths[i]));
                for (int b = 0; b + batch <= window.length; b += batch) {
                    int[] out = new int[batch];
                    for (int i = 0; i < batch; i++) {
                        out[i] = window[b + i];
                    }
                    batches.add(out);
                }
            }
            for (int i : random.permutation(batches.size())) {
                ready.add(batches.get(i));
            }
        }
    }
}
