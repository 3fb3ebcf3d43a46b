package io.fedpipe.lora;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.engine.Engine;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.core.HostTensor;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.model.TinyModels;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LoraLinearTest {

    @BeforeAll
    static void engine() {
        EngineSetup.start(1);
    }

    @Test
    void mergeMatchesHandComputedUpdate() {
        // W = [[1, 2], [3, 4]], A = [[1, 0]] (r=1), B = [[2], [-1]], scale 0.5:
        // W + 0.5·B·A = [[1 + 1, 2], [3 - 0.5, 4]].
        HostTensor w = new HostTensor(new long[] {2, 2}, new float[] {1, 2, 3, 4});
        HostTensor a = new HostTensor(new long[] {1, 2}, new float[] {1, 0});
        HostTensor b = new HostTensor(new long[] {2, 1}, new float[] {2, -1});
        assertArrayEquals(new float[] {2, 2, 2.5f, 4}, LoraMath.merge(w, a, b, 0.5f).data(), 0f);
    }

    @Test
    void mergedModelMatchesAdaptedModelAndHasBaseShapes() {
        TransformerConfig c = TinyModels.bert();
        TransformerWeights base = TransformerWeights.random(c, 1);
        LoraConfig lora = LoraConfig.uniform(c.layers(), c.targets(), 3, 6f, 0f);
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel model = TransformerModel.create(m, base, lora, FrozenWeightFactory.dense(), 9)) {
            TinyModels.randomizeAdapters(model, 21);
            long[] ids = {2, 7, 9, 33, 41, 5, 0, 0, 8, 9, 10, 11, 12, 13, 14, 15};
            long[] mask = {1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
            NDArray idArr = m.create(ids, new Shape(2, 8));
            NDArray maskArr = m.create(mask, new Shape(2, 8));
            float[] adapted = model.forward(idArr, null, TransformerModel.paddingMask(maskArr), null, false).toFloatArray();
            float[] plain;
            try (TransformerModel baseModel = TransformerModel.create(m, base, null, FrozenWeightFactory.dense(), 9)) {
                plain = baseModel.forward(idArr, null, TransformerModel.paddingMask(maskArr), null, false).toFloatArray();
            }
            model.mergeAdapters();
            float[] merged = model.forward(idArr, null, TransformerModel.paddingMask(maskArr), null, false).toFloatArray();
            double maxDiff = 0;
            double changed = 0;
            for (int i = 0; i < adapted.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(adapted[i] - merged[i]));
                changed = Math.max(changed, Math.abs(adapted[i] - plain[i]));
            }
            assertTrue(maxDiff < 1e-5, "merged vs adapted max diff " + maxDiff);
            assertTrue(changed > 1e-2, "adapters must change the output for this test to mean anything: " + changed);
            assertTrue(model.adaptedMatrices().isEmpty());
            TransformerWeights after = model.toHostWeights();
            assertEquals(base.parameterCount(), after.parameterCount());
            Map<String, HostTensor> a = io.fedpipe.model.HfWeightNames.toHf(after);
            Map<String, HostTensor> b = io.fedpipe.model.HfWeightNames.toHf(base);
            assertEquals(b.keySet(), a.keySet());
            for (String k : b.keySet()) {
                assertArrayEquals(b.get(k).shape(), a.get(k).shape(), k);
            }
        }
    }

    @Test
    void freshAdapterLeavesTheModelUnchanged() {
        TransformerConfig c = TinyModels.bert();
        TransformerWeights base = TransformerWeights.random(c, 1);
        LoraConfig lora = LoraConfig.uniform(c.layers(), EnumSet.of(LoraTarget.Q, LoraTarget.V), 4, 8f, 0f);
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel adapted = TransformerModel.create(m, base, lora, FrozenWeightFactory.dense(), 3);
                TransformerModel plain = TransformerModel.create(m, base, null, FrozenWeightFactory.dense(), 3)) {
            NDArray ids = m.create(new long[] {1, 2, 3, 4}, new Shape(1, 4));
            assertArrayEquals(plain.forward(ids, null, null, null, false).toFloatArray(),
                    adapted.forward(ids, null, null, null, false).toFloatArray(), 0f);
        }
    }

    @Test
    void onlyAdaptersAndHeadReceiveGradients() {
        TransformerConfig c = TinyModels.bert();
        LoraConfig lora = LoraConfig.uniform(c.layers(), EnumSet.of(LoraTarget.Q, LoraTarget.V), 2, 4f, 0f);
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel enc = TransformerModel.create(m, TransformerWeights.random(c, 4), lora,
                        FrozenWeightFactory.dense(), 3)) {
            TinyModels.randomizeAdapters(enc, 8);
            SequenceClassifier clf = new SequenceClassifier(enc, 3, 1);
            try (NDManager step = m.newSubManager()) {
                NDArray ids = step.create(new long[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
                NDArray mask = step.ones(new Shape(2, 3)).toType(ai.djl.ndarray.types.DataType.INT64, false);
                NDArray labels = step.create(new long[] {0, 2});
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(SequenceClassifier.loss(clf.logits(ids, null, mask, true), labels));
                }
                int withGrad = 0;
                for (NDArray p : m.getManagedArrays().stream().filter(NDArray.class::isInstance)
                        .map(NDArray.class::cast).toList()) {
                    if (p.hasGradient()) {
                        withGrad++;
                    }
                }
                // Exactly A and B of each adapted matrix plus the head's weight and bias.
                assertEquals(2 * enc.adaptedMatrices().size() + 2, withGrad, "arrays that require gradients");
                for (var id : enc.adaptedMatrices()) {
                    var l = enc.linear(id);
                    assertTrue(l.loraA().hasGradient() && l.loraB().hasGradient());
                    assertTrue(l.loraB().getGradient().abs().sum().getFloat() > 0, "no gradient reached B of " + id);
                    assertFalse(l.weight().materialize(step).hasGradient(), "frozen weight of " + id + " has a gradient");
                    assertFalse(l.bias().hasGradient(), "frozen bias of " + id + " has a gradient");
                }
                for (var t : EnumSet.of(LoraTarget.K, LoraTarget.O, LoraTarget.FFN_IN, LoraTarget.FFN_OUT)) {
                    var l = enc.linear(new MatrixId(0, t));
                    assertEquals(0, l.rank());
                    assertFalse(l.weight().materialize(step).hasGradient());
                }
                assertTrue(clf.headWeight().getGradient().abs().sum().getFloat() > 0);
                assertFalse(enc.wordEmbeddings().hasGradient());
            }
        }
    }
}
