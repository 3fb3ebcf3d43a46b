package io.fedpipe.model;

import io.fedpipe.core.DenseWeight;
import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.core.HostTensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.quant.BaseQuantization;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Full fine-tuning on a tiny BERT: every weight becomes trainable and gets a gradient; sent weights replace the base by name. */
class FullWeightsTest {

    @BeforeAll
    static void engine() {
        EngineSetup.start(1);
    }

    @Test
    void unfreezeAllMakesEveryWeightTrainableAndGradientsReachThemAll() {
        TransformerWeights w = TransformerWeights.random(TinyModels.bert(), 3);
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel model = TransformerModel.create(m, w, null, FrozenWeightFactory.dense(), 0)) {
            DenseWeight q0 = (DenseWeight) model.linear(new MatrixId(0, LoraTarget.Q)).weight();
            assertFalse(q0.value().hasGradient(), "the plain model is frozen until unfrozen");
            List<NDArray> params = model.unfreezeAll();
            // 5 embedding tensors + per block 6 weights, 6 biases, 4 norm tensors.
            assertEquals(5 + 2 * 16, params.size());
            assertEquals(w.parameterCount(), params.stream().mapToLong(NDArray::size).sum());
            assertTrue(q0.value().hasGradient());

            try (NDManager step = m.newSubManager()) {
                long[] ids = {5, 9, 2, 33, 60, 1, 17};
                NDArray input = step.create(ids, new Shape(1, ids.length));
                // A fixed random projection: the plain sum of a LayerNorm output with unit gains is constant.
                float[] probe = new float[ids.length * 32];
                Random r = new Random(1);
                for (int i = 0; i < probe.length; i++) {
                    probe[i] = (float) r.nextGaussian();
                }
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray out = model.forward(input, null, null, null, true);
                    gc.backward(out.mul(step.create(probe, new Shape(1, ids.length, 32))).sum());
                }
                for (int i = 0; i < params.size(); i++) {
                    NDArray g = params.get(i).getGradient();
                    g.attach(step);
                    assertTrue(g.abs().sum().getFloat() > 0, "no gradient reached parameter " + i + " " + g.getShape());
                }
            }
        }
    }

    @Test
    void quantizedOrAdaptedModelsAreRefused() {
        TransformerWeights w = TransformerWeights.random(TinyModels.bert(), 3);
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel int8 = TransformerModel.create(m, w, null, BaseQuantization.factory("int8"), 0);
                TransformerModel lora = TransformerModel.create(m, w,
                        LoraConfig.uniform(2, EnumSet.of(LoraTarget.V), 2, 4, 0), FrozenWeightFactory.dense(), 0)) {
            String msg = assertThrows(IllegalStateException.class, int8::unfreezeAll).getMessage();
            assertTrue(msg.contains("float32") && msg.contains("int8"), msg);
            msg = assertThrows(IllegalStateException.class, lora::unfreezeAll).getMessage();
            assertTrue(msg.contains("rank-2 adapter"), msg);
        }
    }

    @Test
    void replaceSwapsNamedTensorsAndRefusesUnknownNamesAndShapes() {
        TransformerWeights w = TransformerWeights.random(TinyModels.bert(), 3);
        assertSame(w, HfWeightNames.replace(w, Map.of()));
        HostTensor q1 = TransformerWeights.normal(new Random(9), 1, 32, 32);
        TransformerWeights r = HfWeightNames.replace(w, Map.of("encoder.layer.1.attention.self.query.weight", q1));
        assertEquals(q1, r.blocks().get(1).linear(LoraTarget.Q).weight());
        assertEquals(w.blocks().get(0).linear(LoraTarget.Q).weight(), r.blocks().get(0).linear(LoraTarget.Q).weight());
        assertEquals(w.wordEmbeddings(), r.wordEmbeddings());
        assertNotEquals(w.blocks().get(1).linear(LoraTarget.Q).weight(), q1);

        String msg = assertThrows(IllegalArgumentException.class,
                () -> HfWeightNames.replace(w, Map.of("encoder.layer.9.attention.self.query.weight", q1))).getMessage();
        assertTrue(msg.contains("no tensor 'encoder.layer.9.attention.self.query.weight'"), msg);
        msg = assertThrows(IllegalArgumentException.class,
                () -> HfWeightNames.replace(w, Map.of("encoder.layer.1.output.dense.weight", q1))).getMessage();
        assertTrue(msg.contains("shape") && msg.contains("[32, 64]"), msg);
    }
}
