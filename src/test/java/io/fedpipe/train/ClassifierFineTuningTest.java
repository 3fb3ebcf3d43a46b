package io.fedpipe.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.data.ClassificationTasks;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.model.HfWeightNames;
import io.fedpipe.core.HostTensor;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.model.hf.HfConfigs;
import io.fedpipe.model.hf.HfModelDirectory;
import io.fedpipe.model.hf.SafetensorsFile;
import io.fedpipe.quant.BaseQuantization;
import io.fedpipe.runtime.OneIntraOpThread;
import io.fedpipe.tokenize.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local fine-tuning pipeline end to end with the real all-MiniLM-L6-v2: a short LoRA run on
 * an easy three-topic task must learn it, and what it writes must reproduce what it trained.
 *
 * <p>The exported files are checked from the outside: the adapted model is rebuilt from the PEFT
 * files alone (base weights + {@code adapter_model.safetensors} + {@code adapter_config.json}),
 * and the merged Hugging Face directory is loaded as a plain dense model; both must agree with
 * the run's reported accuracy and with each other.
 */
@ExtendWith(OneIntraOpThread.class)
class ClassifierFineTuningTest {

    private static final int LAYERS = 6;
    private static final int HIDDEN = 384;
    private static final int RANK = 4;
    private static final float ALPHA = 8;
    private static final int MAX_LENGTH = 32;
    private static final int STEPS = 24;
    private static final Set<LoraTarget> TARGETS = EnumSet.of(LoraTarget.Q, LoraTarget.V);
    private static final Pattern ADAPTER_NAME =
            Pattern.compile("base_model\\.model\\.(encoder\\.layer\\.(\\d)\\.attention\\.self\\.(query|value))\\.lora_([AB])\\.weight");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static Path task;

    @BeforeAll
    static void writeTask() throws IOException {
        task = ThreeTopicTask.write(dir.resolve("task"), 120, 30, 7);
    }

    @Test
    void finalLossIsTheBiasCorrectedMovingAverage() {
        ClassifierFineTuning.LossAverage average = new ClassifierFineTuning.LossAverage();
        assertTrue(Double.isNaN(average.value()));
        average.add(2);
        assertEquals(2, average.value(), 1e-12, "one loss is its own average");
        average.add(0);
        // (0.9·0.1·2 + 0.1·0) / (1 − 0.9²) = 0.18 / 0.19
        assertEquals(0.18 / 0.19, average.value(), 1e-12);
    }

    @Test
    void fp32RunLearnsTheTaskAndItsMergedExportGivesTheSameLogits() throws IOException {
        Path out = dir.resolve("out-fp32");
        FineTuneResult result = train("fp32", STEPS, out);
        System.out.printf("fp32: loss %.3f -> %.3f, accuracy %.3f, %.1f s, %.0f tok/s%n", result.firstLoss(),
                result.finalLoss(), result.accuracy(), result.trainSeconds(), result.tokensPerSecond());
        assertLearned(result);

        try (Exported e = Exported.load(out, "fp32")) {
            assertEquals(result.accuracy(), e.adaptedAccuracy, 0, "adapters from the PEFT files reproduce the run");
            // Same base, adapters folded in on the host instead of applied on the device: only
            // float32 rounding of W + (α/r)·B·A versus x·Wᵀ + (α/r)·(x·Aᵀ)·Bᵀ may differ.
            double maxDiff = maxAbsDiff(e.mergedLogits, e.adaptedLogits);
            System.out.println("fp32 merged vs adapted logits, max abs diff " + maxDiff);
            assertTrue(maxDiff < 1e-4, "merged vs adapted logits differ by " + maxDiff);
            assertTrue(maxAbs(e.adaptedLogits) > 0.5, "logits look degenerate");
        }
    }

    @Test
    void nf4RunLearnsTheTaskAndItsMergedExportAgreesOnPredictions() throws IOException {
        Path out = dir.resolve("out-nf4");
        FineTuneResult result = train("nf4", STEPS, out);
        System.out.printf("nf4: loss %.3f -> %.3f, accuracy %.3f, %.1f s, %.0f tok/s%n", result.firstLoss(),
                result.finalLoss(), result.accuracy(), result.trainSeconds(), result.tokensPerSecond());
        assertLearned(result);
        assertTrue(result.frozenLinearBytes() < 10_700_000L * 4 / 6,
                "nf4 base should take well under fp32's 42.5 MB: " + result.frozenLinearBytes());

        try (Exported e = Exported.load(out, "nf4")) {
            assertEquals(result.accuracy(), e.adaptedAccuracy, 0, "adapters from the PEFT files reproduce the run");
            // The merged model folds the adapters into the UNquantized base (FineTuneExport's
            // contract), while they were trained against the NF4 base: the logits differ by the
            // quantization error, but on an easy task the decisions should not.
            double agreement = agreement(argMax(e.mergedLogits), argMax(e.adaptedLogits));
            System.out.println("nf4 merged (fp32 base) vs adapted (nf4 base): prediction agreement " + agreement
                    + ", max abs logit diff " + maxAbsDiff(e.mergedLogits, e.adaptedLogits));
            assertTrue(agreement >= 0.9, "merged and adapted predictions agree on only " + agreement);
        }
    }

    private static FineTuneResult train(String bits, int steps, Path out) throws IOException {
        FineTuneSpec spec = new FineTuneSpec(PretrainedModels.MINILM_L6, task.toString(), TARGETS, RANK, ALPHA, 0f,
                bits, steps, 16, MAX_LENGTH, 5e-3f, 2, 11L, 0, null, out);
        try (NDManager manager = NDManager.newBaseManager()) {
            return ClassifierFineTuning.run(spec, manager, ClassifierFineTuning.Listener.NONE);
        }
    }

    private static void assertLearned(FineTuneResult r) {
        assertEquals(3, r.classes());
        assertEquals(30, r.evaluated());
        assertEquals(0, r.skippedSteps());
        assertEquals(0, r.truncatedExamples(), "the sentences fit in " + MAX_LENGTH + " tokens");
        // Adapters on q and v of 6 layers, [r,384] and [384,r] each, plus the [3,384] head and its bias.
        assertEquals((long) LAYERS * 2 * 2 * RANK * HIDDEN + 3 * HIDDEN + 3, r.trainableParameters());
        assertEquals(1.0 / 3, r.majorityBaseline(), 1e-9, "balanced validation split");
        // ln 3 = 1.0986 for a uniform guess; a fresh Xavier head starts near it.
        assertTrue(r.firstLoss() > 0.7 && r.firstLoss() < 2.0, "first loss " + r.firstLoss());
        assertTrue(r.finalLoss() < r.firstLoss() / 3, "loss " + r.firstLoss() + " -> " + r.finalLoss());
        assertTrue(r.accuracy() >= 0.9, "validation accuracy " + r.accuracy());
        assertTrue(r.accuracy() > r.majorityBaseline() + 0.5, "accuracy " + r.accuracy() + " vs majority "
                + r.majorityBaseline());
        assertNotNull(r.outputDirectory());
    }

    /** What the run wrote, loaded back and run on the validation texts. */
    private static final class Exported implements AutoCloseable {
        private final NDManager manager = NDManager.newBaseManager();
        private float[][] mergedLogits;
        private float[][] adaptedLogits;
        private double adaptedAccuracy;

        static Exported load(Path out, String bits) throws IOException {
            Exported e = new Exported();
            try {
                e.run(out, bits);
                return e;
            } catch (IOException | RuntimeException ex) {
                e.close();
                throw ex;
            }
        }

        private void run(Path out, String bits) throws IOException {
            Path merged = out.resolve("merged");
            Path adapter = out.resolve("adapter");
            for (Path f : List.of(merged.resolve("config.json"), merged.resolve("model.safetensors"),
                    merged.resolve("tokenizer.json"), adapter.resolve("adapter_model.safetensors"),
                    adapter.resolve("adapter_config.json"))) {
                assertTrue(Files.isRegularFile(f) && Files.size(f) > 0, "missing output " + f);
            }
            assertFalse(Files.exists(out.resolve("tokenizer.json")), "temporary tokenizer copy left behind");
            ClassificationDataset validation = ClassificationTasks.load(task.toString(), 0).validation();
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < validation.size(); i++) {
                texts.add(validation.get(i).text());
            }
            try (TextTokenizer tokenizer = TextTokenizer.fromFile(merged.resolve("tokenizer.json"), MAX_LENGTH)) {
                TokenBatch batch = TokenBatch.of(manager, ClassifierFineTuning.encode(tokenizer, texts), null,
                        tokenizer.padId());
                try (SequenceClassifier plain = mergedClassifier(merged)) {
                    mergedLogits = logits(plain, batch);
                }
                try (SequenceClassifier adapted = adaptedClassifier(adapter, bits)) {
                    adaptedLogits = logits(adapted, batch);
                    adaptedAccuracy = ClassifierFineTuning.evaluate(adapted, tokenizer, validation, manager).accuracy();
                }
            }
        }

        /** {@code merged/} as a plain Hugging Face BERT checkpoint plus the saved head: no LoRA, dense. */
        private SequenceClassifier mergedClassifier(Path merged) throws IOException {
            HfModelDirectory hf = HfModelDirectory.read(merged);
            JsonNode config = hf.config();
            assertEquals("mean", config.path("fedpipe_pooling").asText());
            assertEquals(List.of("animals", "food", "vehicles"),
                    List.of(config.path("id2label").path("0").asText(), config.path("id2label").path("1").asText(),
                            config.path("id2label").path("2").asText()));
            assertEquals(2, config.path("label2id").path("vehicles").asInt());
            Map<String, HostTensor> tensors = new LinkedHashMap<>(hf.weights());
            HostTensor headWeight = tensors.remove("classifier.weight");
            HostTensor headBias = tensors.remove("classifier.bias");
            assertNotNull(headWeight, "merged/ has no classifier.weight");
            assertArrayEquals(new long[] {3, HIDDEN}, headWeight.shape());
            assertArrayEquals(new long[] {3}, headBias.shape());
            TransformerConfig tc = HfConfigs.fromJson(config, merged.toString());
            assertEquals(TransformerConfig.miniLmL6(), tc);
            TransformerWeights weights = HfWeightNames.fromHf(tc, tensors);
            return new SequenceClassifier(TransformerModel.create(manager, weights, null, FrozenWeightFactory.dense(), 0),
                    headWeight, headBias);
        }

        /** The original base in the run's storage format with the adapters and head from {@code adapter/}. */
        private SequenceClassifier adaptedClassifier(Path adapter, String bits) throws IOException {
            JsonNode config = JSON.readTree(adapter.resolve("adapter_config.json").toFile());
            assertEquals("LORA", config.path("peft_type").asText());
            assertEquals("SEQ_CLS", config.path("task_type").asText());
            assertEquals(RANK, config.path("r").asInt());
            assertEquals(ALPHA, config.path("lora_alpha").asDouble(), 0);
            assertEquals(0, config.path("rank_pattern").size(), "uniform rank needs no pattern");
            assertEquals("classifier", config.path("modules_to_save").path(0).asText());
            Map<String, MatrixId> modules = new HashMap<>();
            for (int layer = 0; layer < LAYERS; layer++) {
                for (LoraTarget t : io.fedpipe.model.TinyModels.bert().targets()) {
                    MatrixId id = new MatrixId(layer, t);
                    modules.put(PeftAdapters.moduleName(TransformerConfig.Family.BERT, id), id);
                }
            }
            Map<MatrixId, Integer> ranks = new TreeMap<>();
            for (JsonNode target : config.path("target_modules")) {
                MatrixId id = modules.get(target.asText());
                assertNotNull(id, "target_modules entry is not a full module name: " + target);
                ranks.put(id, config.path("r").asInt());
            }
            assertEquals(LAYERS * TARGETS.size(), ranks.size());
            assertTrue(ranks.containsKey(new MatrixId(5, LoraTarget.V)));
            assertEquals("encoder.layer.0.attention.self.query", config.path("target_modules").path(0).asText());

            Map<String, HostTensor> tensors = SafetensorsFile.read(adapter.resolve("adapter_model.safetensors"));
            assertEquals(ranks.size() * 2 + 2, tensors.size(), "A and B per adapted matrix, plus the head: "
                    + tensors.keySet());
            LoraConfig lora = new LoraConfig(ranks, ALPHA, 0);
            TransformerModel model = TransformerModel.create(manager, PretrainedModels.miniLmL6(), lora,
                    BaseQuantization.factory(bits), 99);
            int adapters = 0;
            for (Map.Entry<String, HostTensor> entry : tensors.entrySet()) {
                Matcher m = ADAPTER_NAME.matcher(entry.getKey());
                if (!m.matches()) {
                    continue;
                }
                MatrixId id = modules.get(m.group(1));
                assertTrue(ranks.containsKey(id), entry.getKey() + " is not in target_modules");
                if (m.group(4).equals("A")) {
                    assertArrayEquals(new long[] {RANK, HIDDEN}, entry.getValue().shape(), entry.getKey());
                    HostTensor b = tensors.get(entry.getKey().replace("lora_A", "lora_B"));
                    assertNotNull(b, "no lora_B for " + entry.getKey());
                    assertArrayEquals(new long[] {HIDDEN, RANK}, b.shape());
                    assertTrue(maxAbs(b.data()) > 0, "lora_B of " + id + " never moved from its zero init");
                    model.linear(id).setAdapter(entry.getValue(), b);
                    adapters++;
                }
            }
            assertEquals(ranks.size(), adapters, "adapter tensors named as PEFT does: " + tensors.keySet());
            return new SequenceClassifier(model, tensors.get("base_model.model.classifier.weight"),
                    tensors.get("base_model.model.classifier.bias"));
        }

        private static float[][] logits(SequenceClassifier classifier, TokenBatch batch) {
            float[] flat = classifier.logits(batch.ids(), null, batch.attentionMask(), false).toFloatArray();
            int classes = classifier.classes();
            float[][] out = new float[flat.length / classes][classes];
            for (int i = 0; i < out.length; i++) {
                System.arraycopy(flat, i * classes, out[i], 0, classes);
            }
            return out;
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    private static double maxAbsDiff(float[][] a, float[][] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return max;
    }

    private static double maxAbs(float[][] a) {
        double max = 0;
        for (float[] row : a) {
            max = Math.max(max, maxAbs(row));
        }
        return max;
    }

    private static double maxAbs(float[] a) {
        double max = 0;
        for (float v : a) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    private static int[] argMax(float[][] logits) {
        int[] out = new int[logits.length];
        for (int i = 0; i < logits.length; i++) {
            for (int j = 1; j < logits[i].length; j++) {
                if (logits[i][j] > logits[i][out[i]]) {
                    out[i] = j;
                }
            }
        }
        return out;
    }

    private static double agreement(int[] a, int[] b) {
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) {
                same++;
            }
        }
        return (double) same / a.length;
    }
}
