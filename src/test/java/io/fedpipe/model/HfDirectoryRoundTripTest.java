package io.fedpipe.model;

import io.fedpipe.core.FrozenWeightFactory;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.model.hf.HfConfigs;
import io.fedpipe.model.hf.HfModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Write a model as a Hugging Face directory, read it back, and get identical outputs. */
class HfDirectoryRoundTripTest {

    @BeforeAll
    static void engine() {
        EngineSetup.start(1);
    }

    @Test
    void gpt2DirectoryRoundTripGivesIdenticalLogits(@TempDir Path dir) throws Exception {
        TransformerWeights w = TransformerWeights.random(TinyModels.gpt2(), 21);
        // Small shards force the model.safetensors.index.json path.
        HfModelDirectory.write(dir, HfConfigs.toJson(w.config()), HfWeightNames.toHf(w), List.of(), 20_000);
        assertTrue(Files.exists(dir.resolve("model.safetensors.index.json")), "expected a sharded checkpoint");
        TransformerWeights back = PretrainedModels.fromDirectory(dir);
        assertEquals(w.config(), back.config());
        long[] ids = {5, 9, 2, 33, 60, 1, 17};
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel a = TransformerModel.create(m, w, null, FrozenWeightFactory.dense(), 0);
                TransformerModel b = TransformerModel.create(m, back, null, FrozenWeightFactory.dense(), 0)) {
            float[] la = new CausalLm(a).logits(m.create(ids, new Shape(1, ids.length)), null, false).toFloatArray();
            float[] lb = new CausalLm(b).logits(m.create(ids, new Shape(1, ids.length)), null, false).toFloatArray();
            assertArrayEquals(la, lb, 0f);
        }
    }

    @Test
    void bertDirectoryRoundTripGivesIdenticalStates(@TempDir Path dir) throws Exception {
        TransformerWeights w = TransformerWeights.random(TinyModels.bert(), 22);
        HfModelDirectory.write(dir, HfConfigs.toJson(w.config()), HfWeightNames.toHf(w), List.of(), Long.MAX_VALUE);
        TransformerWeights back = PretrainedModels.load(dir.toString());
        long[] ids = {1, 8, 3, 44};
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel a = TransformerModel.create(m, w, null, FrozenWeightFactory.dense(), 0);
                TransformerModel b = TransformerModel.create(m, back, null, FrozenWeightFactory.dense(), 0)) {
            assertArrayEquals(a.forward(m.create(ids, new Shape(1, 4)), null, null, null, false).toFloatArray(),
                    b.forward(m.create(ids, new Shape(1, 4)), null, null, null, false).toFloatArray(), 0f);
        }
    }

    @Test
    void unsupportedArchitectureIsNamed(@TempDir Path dir) throws Exception {
        TransformerWeights w = TransformerWeights.random(TinyModels.bert(), 23);
        var config = HfConfigs.toJson(w.config());
        config.put("model_type", "t5");
        HfModelDirectory.write(dir, config, HfWeightNames.toHf(w), List.of(), Long.MAX_VALUE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PretrainedModels.fromDirectory(dir));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("t5"), e.getMessage());
    }

    @Test
    void missingTensorIsNamed(@TempDir Path dir) throws Exception {
        TransformerWeights w = TransformerWeights.random(TinyModels.gpt2(), 24);
        var tensors = new java.util.LinkedHashMap<>(HfWeightNames.toHf(w));
        tensors.remove("h.1.mlp.c_fc.bias");
        HfModelDirectory.write(dir, HfConfigs.toJson(w.config()), tensors, List.of(), Long.MAX_VALUE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PretrainedModels.fromDirectory(dir));
        assertTrue(e.getMessage().contains("h.1.mlp.c_fc.bias"), e.getMessage());
    }
}
