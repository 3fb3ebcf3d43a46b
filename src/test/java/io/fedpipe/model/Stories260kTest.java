package io.fedpipe.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.runtime.EngineSetup;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real pre-trained Llama (stories260K, llama2.c's tinyllamas, in Hugging Face layout; notice in
 * src/test/resources/models/stories260k/README.md) must reproduce the 200 greedy tokens that
 * llama2.c's C implementation decodes from BOS. This pins RMSNorm, RoPE in the Hugging Face
 * layout, grouped-query attention (8 query, 4 key/value heads), SwiGLU and the tied head.
 */
class Stories260kTest {

    static final Path DIR = Path.of("src/test/resources/models/stories260k");

    @BeforeAll
    static void engine() {
        EngineSetup.start(1);
    }

    @Test
    void greedyDecodingReproducesLlama2c() throws Exception {
        JsonNode expected = new ObjectMapper().readTree(DIR.resolve("expected_greedy.json").toFile());
        long[] prompt = ids(expected.get("prompt_ids"));
        long[] want = ids(expected.get("greedy_ids"));
        assertEquals(200, want.length);
        TransformerWeights w = PretrainedModels.fromDirectory(DIR);
        TransformerConfig c = w.config();
        assertEquals(TransformerConfig.Family.LLAMA, c.family());
        assertEquals(4, c.kvHeads());
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel model = TransformerModel.create(m, w, null, FrozenWeightFactory.dense(), 0)) {
            CausalLm lm = new CausalLm(model);
            assertArrayEquals(want, lm.generate(m, prompt, want.length, true), "with the KV cache");
            assertArrayEquals(want, lm.generate(m, prompt, want.length, false), "re-running the prefix");
        }
    }

    private static long[] ids(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }
}
