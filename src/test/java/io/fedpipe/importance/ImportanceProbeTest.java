package io.fedpipe.importance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.core.HostTensor;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.model.TinyModels;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.train.ClassificationObjective;
import io.fedpipe.train.TokenBatch;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SVD-form adapters and the importance probe's mechanics. The ranking on a task where only
 * known matrices matter is {@link KnownMatricesProbeTest}.
 */
class ImportanceProbeTest {

    @BeforeAll
    static void engine() {
        EngineSetup.start(1);
    }

    @Test
    void svdFormStartsAsTheBaseAndMergesExactly() {
        TransformerConfig c = TinyModels.bert();
        TransformerWeights base = TransformerWeights.random(c, 1);
        LoraConfig lora = LoraConfig.uniform(c.layers(), c.targets(), 3, 6f, 0f);
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel plain = TransformerModel.create(m, base, null, FrozenWeightFactory.dense(), 0);
                TransformerModel svd = TransformerModel.create(m, base, lora, FrozenWeightFactory.dense(), 0)) {
            svd.useSvdForm(3);
            NDArray ids = m.create(new long[] {4, 8, 15, 16, 23, 42}, new Shape(1, 6));
            float[] reference = plain.forward(ids, null, null, null, false).toFloatArray();
            org.junit.jupiter.api.Assertions.assertArrayEquals(reference,
                    svd.forward(ids, null, null, null, false).toFloatArray(), 0f, "λ = 0 must leave the model unchanged");
            assertEquals(3 * 6 * c.layers(), svd.adapterParameters().size(), "P, λ, Q per matrix");
            Random r = new Random(9);
            for (MatrixId id : svd.adaptedMatrices()) {
                float[] l = new float[3];
                for (int i = 0; i < 3; i++) {
                    l[i] = (float) r.nextGaussian();
                }
                svd.linear(id).singularValues().set(l);
            }
            float[] adapted = svd.forward(ids, null, null, null, false).toFloatArray();
            double changed = 0;
            for (int i = 0; i < adapted.length; i++) {
                changed = Math.max(changed, Math.abs(adapted[i] - reference[i]));
            }
            org.junit.jupiter.api.Assertions.assertTrue(changed > 1e-3, "λ ≠ 0 must change the output: " + changed);
            svd.mergeAdapters();
            float[] merged = svd.forward(ids, null, null, null, false).toFloatArray();
            org.junit.jupiter.api.Assertions.assertArrayEquals(adapted, merged, 1e-5f, "P·diag(λ)·Q merged");
        }
    }

    @Test
    void probeScoresEveryCandidateDeterministically() {
        TransformerConfig c = TinyModels.bert();
        TransformerWeights base = TransformerWeights.random(c, 1);
        HostTensor headW = randomHead(c.hidden(), 3, 4);
        HostTensor headB = new HostTensor(new long[] {3}, new float[3]);
        List<long[]> inputs = new ArrayList<>();
        Random r = new Random(5);
        for (int i = 0; i < 128; i++) {
            long[] s = new long[10];
            for (int j = 0; j < s.length; j++) {
                s[j] = 1 + r.nextInt(c.vocabSize() - 1);
            }
            inputs.add(s);
        }
        int[] labels = new int[inputs.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (int) (inputs.get(i)[0] % 3); // depends on the first token only
        }
        Map<MatrixId, Double> a = probe(base, headW, headB, inputs, labels, 11);
        Map<MatrixId, Double> b = probe(base, headW, headB, inputs, labels, 11);
        assertEquals(2 * 6, a.size());
        for (Map.Entry<MatrixId, Double> e : a.entrySet()) {
            org.junit.jupiter.api.Assertions.assertTrue(Double.isFinite(e.getValue()) && e.getValue() > 0,
                    e.getKey() + " scored " + e.getValue());
        }
        assertEquals(a, b, "the same seed must give the same scores");
    }

    private static Map<MatrixId, Double> probe(TransformerWeights base, HostTensor headW, HostTensor headB,
            List<long[]> inputs, int[] labels, long seed) {
        TransformerConfig c = base.config();
        LoraConfig lora = LoraConfig.uniform(c.layers(), c.targets(), 4, 4f, 0f);
        try (NDManager m = NDManager.newBaseManager();
                SequenceClassifier student = new SequenceClassifier(
                        TransformerModel.create(m, base, lora, FrozenWeightFactory.dense(), seed), headW, headB)) {
            Random order = new Random(seed);
            return ImportanceProbe.run(student.encoder(), new ClassificationObjective(student, false), scope -> {
                List<long[]> batch = new ArrayList<>();
                int[] y = new int[32];
                for (int i = 0; i < 32; i++) {
                    int k = order.nextInt(inputs.size());
                    batch.add(inputs.get(k));
                    y[i] = labels[k];
                }
                return TokenBatch.of(scope, batch, y, 0);
            }, new ImportanceProbe.Options(20, 1e-2f, 0.1f, seed));
        }
    }

    private static HostTensor randomHead(int hidden, int classes, long seed) {
        Random r = new Random(seed);
        float[] w = new float[classes * hidden];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        return new HostTensor(new long[] {classes, hidden}, w);
    }
}
