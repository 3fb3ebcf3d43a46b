package io.fedpipe.model;

import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.core.HostTensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.core.LoraTarget;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DecoderTest {

    @BeforeAll
    static void engine() {
        EngineSetup.start(1);
    }

    private static TransformerModel decoder(NDManager m) {
        TransformerConfig c = TinyModels.gpt2();
        LoraConfig lora = LoraConfig.uniform(c.layers(), c.targets(), 4, 8f, 0f);
        return TransformerModel.create(m, TransformerWeights.random(c, 11), lora, FrozenWeightFactory.dense(), 5);
    }

    @Test
    void futureTokensCannotChangePastLogits() {
        try (NDManager m = NDManager.newBaseManager(); TransformerModel dec = decoder(m)) {
            TinyModels.randomizeAdapters(dec, 3);
            CausalLm lm = new CausalLm(dec);
            long[] a = {1, 5, 9, 13, 17, 21, 25, 29};
            long[] b = {1, 5, 9, 13, 40, 2, 3, 60};
            float[] la = lm.logits(m.create(a, new Shape(1, 8)), null, false).get(new NDIndex(":, :4, :")).toFloatArray();
            float[] lb = lm.logits(m.create(b, new Shape(1, 8)), null, false).get(new NDIndex(":, :4, :")).toFloatArray();
            float[] full = lm.logits(m.create(a, new Shape(1, 8)), null, false).get(new NDIndex(":, 4:, :")).toFloatArray();
            float[] other = lm.logits(m.create(b, new Shape(1, 8)), null, false).get(new NDIndex(":, 4:, :")).toFloatArray();
            assertArrayEquals(la, lb, 1e-6f, "logits of positions 0..3 changed when later tokens changed");
            double diff = 0;
            for (int i = 0; i < full.length; i++) {
                diff = Math.max(diff, Math.abs(full[i] - other[i]));
            }
            assertTrue(diff > 1e-3, "later positions must depend on their own tokens, max diff " + diff);
        }
    }

    @Test
    void generationWithKvCacheEqualsFullRecompute() {
        try (NDManager m = NDManager.newBaseManager(); TransformerModel dec = decoder(m)) {
            TinyModels.randomizeAdapters(dec, 4);
            CausalLm lm = new CausalLm(dec);
            long[] prompt = {3, 14, 15, 9, 26};
            long[] cached = lm.generate(m, prompt, 20, true);
            long[] recomputed = lm.generate(m, prompt, 20, false);
            assertArrayEquals(recomputed, cached);
            // And the logits themselves agree, not only the argmax.
            KvCache cache = new KvCache(dec.layers());
            NDArray first = lm.logits(m.create(prompt, new Shape(1, prompt.length)), cache, false);
            NDArray step = lm.logits(m.create(new long[] {cached[0]}, new Shape(1, 1)), cache, false);
            long[] extended = {3, 14, 15, 9, 26, cached[0]};
            NDArray full = lm.logits(m.create(extended, new Shape(1, 6)), null, false);
            assertArrayEquals(full.get(new NDIndex("0, -1, :")).toFloatArray(),
                    step.get(new NDIndex("0, -1, :")).toFloatArray(), 1e-5f);
            assertEquals(5, first.getShape().get(1));
        }
    }

    @Test
    void hfNamingRoundTripsThroughFusedAttention() {
        TransformerWeights w = TransformerWeights.random(TinyModels.gpt2(), 2);
        Map<String, HostTensor> hf = HfWeightNames.toHf(w);
        assertArrayEquals(new long[] {32, 96}, hf.get("h.0.attn.c_attn.weight").shape());
        assertArrayEquals(new long[] {32, 64}, hf.get("h.1.mlp.c_fc.weight").shape());
        TransformerWeights back = HfWeightNames.fromHf(w.config(), hf);
        assertEquals(HfWeightNames.toHf(back), hf);
        // The value projection's weight [out, in] is the transposed last third of c_attn.
        HostTensor v = back.blocks().get(0).linear(LoraTarget.V).weight();
        HostTensor cAttn = hf.get("h.0.attn.c_attn.weight");
        assertEquals(cAttn.data()[2 * 96 + 64 + 5], v.data()[5 * 32 + 2]);
    }

    @Test
    void gpt2AndLlamaModuleNamesNameTheirMatrices() {
        TransformerConfig gpt2 = TinyModels.gpt2();
        assertEquals(EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O, LoraTarget.FFN_IN),
                gpt2.parseTargets("c_attn, attn.c_proj, c_fc"));
        assertEquals(EnumSet.of(LoraTarget.O, LoraTarget.FFN_OUT), gpt2.parseTargets("c_proj"));
        assertEquals(EnumSet.of(LoraTarget.FFN_OUT), gpt2.parseTargets("mlp.c_proj"));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> gpt2.parseTargets("gate_proj"));
        assertTrue(e.getMessage().contains("GPT2 has no 'gate_proj'"), e.getMessage());
        TransformerConfig llama = TransformerConfig.llama(61, 32, 2, 4, 2, 64, 40, 1e-5, 10000, null, true, false);
        assertEquals(EnumSet.of(LoraTarget.GATE, LoraTarget.FFN_IN, LoraTarget.FFN_OUT, LoraTarget.Q),
                llama.parseTargets("gate_proj,up_proj,down_proj,q"));
    }
}
