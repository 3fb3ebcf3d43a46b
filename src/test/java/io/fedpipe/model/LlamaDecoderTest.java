package io.fedpipe.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.core.HostTensor;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.RopeScaling;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.model.hf.HfConfigs;
import io.fedpipe.model.hf.HfModelDirectory;
import io.fedpipe.runtime.EngineSetup;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A random tiny Llama (4 query heads sharing 2 key/value heads, head dimension 8, untied head)
 * against the properties the architecture promises: the KV cache changes nothing, attention is
 * causal, grouped-query attention is multi-head attention with repeated key/value heads, rotary
 * scores depend on relative position only, rope_scaling follows Hugging Face's formulas, and
 * config.json and tensor names round-trip. Weights are drawn with std 0.15 (not 0.02) so that
 * attention is far from uniform and a wrong position or head mapping shows in the logits.
 */
class LlamaDecoderTest {

    static final RopeScaling LLAMA3 = new RopeScaling(RopeScaling.Type.LLAMA3, 8, 1, 4, 16);

    @BeforeAll
    static void engine() {
        EngineSetup.start(1);
    }

    static TransformerConfig llama(int kvHeads, RopeScaling scaling, boolean attentionBias, boolean tied) {
        return TinyModels.llama(kvHeads, scaling, attentionBias, tied);
    }

    static List<TransformerConfig> variants() {
        return List.of(llama(2, null, false, false), llama(2, LLAMA3, false, false),
                llama(2, RopeScaling.linear(4), false, false), llama(2, null, true, false));
    }

    static TransformerWeights weights(TransformerConfig c, long seed) {
        return TinyModels.randomWeights(c, seed, 0.15);
    }

    private static long[] tokens(long seed, int n) {
        Random r = new Random(seed);
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = r.nextInt(61);
        }
        return ids;
    }

    private static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    private static float[] logits(NDManager m, TransformerWeights w, long[] ids, int batch) {
        try (TransformerModel model = TransformerModel.create(m, w, null, FrozenWeightFactory.dense(), 0)) {
            return new CausalLm(model).logits(m.create(ids, new Shape(batch, ids.length / batch)), null, false)
                    .toFloatArray();
        }
    }

    @Test
    void kvCacheDecodingEqualsTheFullPassAtEveryPositionForABatchOfTwo() {
        for (TransformerConfig c : variants()) {
            int t = 12;
            long[] ids = tokens(7, 2 * t);
            try (NDManager m = NDManager.newBaseManager();
                    TransformerModel model = TransformerModel.create(m, weights(c, 3), null,
                            FrozenWeightFactory.dense(), 0)) {
                CausalLm lm = new CausalLm(model);
                NDArray input = m.create(ids, new Shape(2, t));
                NDArray full = lm.logits(input, null, false);
                KvCache cache = new KvCache(model.layers());
                // A 3-token prompt in one step, then one token per step.
                NDArray first = lm.logits(input.get(new NDIndex(":, :3")), cache, false);
                double worst = maxDiff(full.get(new NDIndex(":, :3, :")).toFloatArray(), first.toFloatArray());
                for (int p = 3; p < t; p++) {
                    NDArray step = lm.logits(input.get(new NDIndex(":, {}:{}", p, p + 1)), cache, false);
                    assertEquals(p + 1, cache.length());
                    worst = Math.max(worst, maxDiff(full.get(new NDIndex(":, {}:{}, :", p, p + 1)).toFloatArray(),
                            step.toFloatArray()));
                }
                assertTrue(worst < 1e-4, c + ": cached and full logits differ by " + worst);
            }
        }
    }

    @Test
    void logitsAtAPositionIgnoreLaterTokens() {
        for (TransformerConfig c : variants()) {
            long[] a = tokens(8, 10);
            long[] b = a.clone();
            for (int i = 5; i < b.length; i++) {
                b[i] = (a[i] + 17) % 61;
            }
            try (NDManager m = NDManager.newBaseManager()) {
                TransformerWeights w = weights(c, 4);
                int v = c.vocabSize();
                float[] la = logits(m, w, a, 1);
                float[] lb = logits(m, w, b, 1);
                double past = maxDiff(java.util.Arrays.copyOf(la, 5 * v), java.util.Arrays.copyOf(lb, 5 * v));
                double later = maxDiff(java.util.Arrays.copyOfRange(la, 5 * v, 10 * v),
                        java.util.Arrays.copyOfRange(lb, 5 * v, 10 * v));
                assertTrue(past < 1e-6, c + ": positions 0..4 changed by " + past + " when tokens 5.. changed");
                assertTrue(later > 1e-2, c + ": positions 5.. must depend on their tokens, max diff " + later);
            }
        }
    }

    /**
     * GQA is MHA whose key/value head j is repeated for query heads j·g .. j·g + g − 1, g = heads /
     * kvHeads (Hugging Face's repeat_kv: expand then reshape, so copies are adjacent).
     */
    @Test
    void groupedQueryAttentionEqualsMultiHeadWithRepeatedKeyValueHeads() {
        for (boolean bias : new boolean[] {false, true}) {
            TransformerConfig gqa = llama(2, LLAMA3, bias, false);
            TransformerConfig mha = llama(4, LLAMA3, bias, false);
            TransformerWeights w = weights(gqa, 5);
            long[] ids = tokens(9, 2 * 9);
            try (NDManager m = NDManager.newBaseManager()) {
                float[] want = logits(m, w, ids, 2);
                double adjacent = maxDiff(want, logits(m, repeatKv(w, mha, h -> h / 2), ids, 2));
                double interleaved = maxDiff(want, logits(m, repeatKv(w, mha, h -> h % 2), ids, 2));
                assertTrue(adjacent < 1e-5, "bias " + bias + ": GQA vs repeated-head MHA differ by " + adjacent);
                // The test can tell the two orders apart, so it pins repeat_kv's order.
                assertTrue(interleaved > 1e-3, "bias " + bias + ": the other head order agrees too: " + interleaved);
            }
        }
    }

    /** {@code w} as a model with {@code mha.kvHeads()} key/value heads: head h uses GQA head kvOf(h). */
    private static TransformerWeights repeatKv(TransformerWeights w, TransformerConfig mha,
            java.util.function.IntUnaryOperator kvOf) {
        int d = mha.headDim();
        Map<String, HostTensor> hf = new LinkedHashMap<>(HfWeightNames.toHf(w));
        for (Map.Entry<String, HostTensor> e : hf.entrySet()) {
            String n = e.getKey();
            if (!(n.contains("k_proj") || n.contains("v_proj"))) {
                continue;
            }
            HostTensor t = e.getValue();
            int cols = t.rank() == 2 ? Math.toIntExact(t.dim(1)) : 1;
            float[] out = new float[mha.heads() * d * cols];
            for (int h = 0; h < mha.heads(); h++) {
                System.arraycopy(t.data(), kvOf.applyAsInt(h) * d * cols, out, h * d * cols, d * cols);
            }
            long rows = (long) mha.heads() * d;
            long[] shape = t.rank() == 2 ? new long[] {rows, cols} : new long[] {rows};
            e.setValue(new HostTensor(shape, out));
        }
        return HfWeightNames.fromHf(mha, hf);
    }

    @Test
    void rotaryScoresDependOnlyOnRelativePosition() {
        for (TransformerConfig c : List.of(llama(2, null, false, false), llama(2, LLAMA3, false, false))) {
            int d = c.headDim();
            float[][] table = RotaryTable.cosSin(c);
            Random r = new Random(12);
            float[] q = new float[d];
            float[] k = new float[d];
            for (int i = 0; i < d; i++) {
                q[i] = (float) r.nextGaussian();
                k[i] = (float) r.nextGaussian();
            }
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray cos = m.create(table[0], new Shape(c.maxPositions(), d));
                NDArray sin = m.create(table[1], new Shape(c.maxPositions(), d));
                NDArray qa = m.create(q, new Shape(1, 1, 1, d));
                NDArray ka = m.create(k, new Shape(1, 1, 1, d));
                int[][] pairs = {{5, 2}, {9, 9}, {3, 7}, {12, 1}};
                for (int[] p : pairs) {
                    double base = score(qa, ka, cos, sin, p[0], p[1]);
                    for (int s : new int[] {1, 4, 20}) {
                        double shifted = score(qa, ka, cos, sin, p[0] + s, p[1] + s);
                        assertEquals(base, shifted, 1e-4,
                                c.ropeScaling() + ": q@" + p[0] + "·k@" + p[1] + " shifted by " + s);
                    }
                    double otherDistance = score(qa, ka, cos, sin, p[0], p[1] + 3);
                    assertTrue(Math.abs(base - otherDistance) > 1e-3,
                            "score must change with m − n: " + base + " vs " + otherDistance);
                }
                // Rotation keeps the norm (each pair turns by an angle).
                NDArray rotated = TransformerModel.rotate(qa, row(cos, 17), row(sin, 17));
                assertEquals(qa.square().sum().getFloat(), rotated.square().sum().getFloat(), 1e-4);
            }
        }
    }

    @Test
    void rotationPairsDimensionIWithIPlusHalfAsHuggingFaceDoes() {
        // d = 4, θ = (1, 1/100): at position m, (x0, x2) turn by m and (x1, x3) by m/100.
        TransformerConfig c = new TransformerConfig(TransformerConfig.Family.LLAMA, 5, 8, 1, 2, 8, 8, 0, 1e-6, 2,
                10000, null, true, false, false);
        float[][] table = RotaryTable.cosSin(c);
        float[] x = {0.3f, -1.2f, 0.7f, 2.0f};
        int pos = 3;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray cos = m.create(table[0], new Shape(8, 4));
            NDArray sin = m.create(table[1], new Shape(8, 4));
            float[] got = TransformerModel.rotate(m.create(x, new Shape(1, 1, 1, 4)), row(cos, pos), row(sin, pos))
                    .toFloatArray();
            double a0 = pos * 1.0;
            double a1 = pos * 0.01;
            float[] want = {
                (float) (x[0] * Math.cos(a0) - x[2] * Math.sin(a0)),
                (float) (x[1] * Math.cos(a1) - x[3] * Math.sin(a1)),
                (float) (x[2] * Math.cos(a0) + x[0] * Math.sin(a0)),
                (float) (x[3] * Math.cos(a1) + x[1] * Math.sin(a1))};
            org.junit.jupiter.api.Assertions.assertArrayEquals(want, got, 1e-5f);
        }
    }

    private static NDArray row(NDArray table, int position) {
        return table.get(new NDIndex("{}:{}", position, position + 1));
    }

    private static double score(NDArray q, NDArray k, NDArray cos, NDArray sin, int m, int n) {
        NDArray qr = TransformerModel.rotate(q, row(cos, m), row(sin, m));
        NDArray kr = TransformerModel.rotate(k, row(cos, n), row(sin, n));
        return qr.mul(kr).sum().getFloat();
    }

    /**
     * Hugging Face's rope_init_fn formulas by hand for head dim 8, θ = 10000, where the unscaled
     * inverse frequencies are exactly 1, 0.1, 0.01, 0.001 (wavelengths 2π·(1, 10, 100, 1000)).
     */
    @Test
    void ropeScalingChangesInverseFrequenciesAsHuggingFaceSays() {
        double[] plain = {1, 0.1, 0.01, 0.001};
        assertClose(plain, RotaryTable.inverseFrequencies(llama(2, null, false, false)));
        // linear: inv_freq / factor.
        assertClose(new double[] {0.25, 0.025, 0.0025, 0.00025},
                RotaryTable.inverseFrequencies(llama(2, RopeScaling.linear(4), false, false)));
        // llama3 with factor 8, low 1, high 4, original 1000: low_freq_wavelen = 1000, high = 250.
        // wavelen 6.28 and 62.8 < 250: kept; 6283 > 1000: divided by 8; 628.3 lies between:
        // smooth = (1000 / 628.3 − 1) / (4 − 1), inv = (1 − smooth)·inv/8 + smooth·inv.
        RopeScaling llama3 = new RopeScaling(RopeScaling.Type.LLAMA3, 8, 1, 4, 1000);
        double smooth = (1000 / (2 * Math.PI / 0.01) - 1) / 3;
        assertEquals(0.19718, smooth, 1e-5);
        assertClose(new double[] {1, 0.1, (1 - smooth) * 0.01 / 8 + smooth * 0.01, 0.001 / 8},
                RotaryTable.inverseFrequencies(llama(2, llama3, false, false)));
        // Llama 3.1's own values (factor 8, 1, 4, 8192): bands 8192 and 2048; only 6283 is in between.
        double smooth31 = (8192 / (2 * Math.PI / 0.001) - 1) / 3;
        assertClose(new double[] {1, 0.1, 0.01, (1 - smooth31) * 0.001 / 8 + smooth31 * 0.001},
                RotaryTable.inverseFrequencies(
                        llama(2, new RopeScaling(RopeScaling.Type.LLAMA3, 8, 1, 4, 8192), false, false)));
        // And the tables use them: angle at position 7 of dimension 3 (and 7) is 7·inv[3].
        float[][] t = RotaryTable.cosSin(llama(2, llama3, false, false));
        assertEquals(Math.cos(7 * 0.001 / 8), t[0][7 * 8 + 3], 1e-6);
        assertEquals(Math.sin(7 * 0.001 / 8), t[1][7 * 8 + 7], 1e-6);
    }

    private static void assertClose(double[] want, double[] got) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            // The unscaled frequencies are float32 values, as in Hugging Face: relative error ~6e-8.
            assertEquals(want[i], got[i], want[i] * 1e-6, "inv_freq[" + i + "]");
        }
    }

    @Test
    void configJsonRoundTrips() {
        List<TransformerConfig> configs = List.of(llama(2, null, false, false), llama(2, LLAMA3, false, true),
                llama(4, RopeScaling.linear(2.5), true, false),
                TransformerConfig.llama(61, 32, 2, 4, 1, 48, 40, 1e-5, 500000, null, true, true));
        for (TransformerConfig c : configs) {
            ObjectNode json = HfConfigs.toJson(c);
            assertEquals(c, HfConfigs.fromJson(json, "test"), json.toString());
        }
        // q/k/v biases without an o bias (TransformerConfig.llama's qkvBias) can only be said as qwen2.
        ObjectNode qwenLike = HfConfigs.toJson(TransformerConfig.llama(61, 32, 2, 4, 2, 48, 40, 1e-6, 1e6, null,
                true, true));
        assertEquals("qwen2", qwenLike.get("model_type").asText());
    }

    @Test
    void qwen2ConfigLoadsWithQkvBiasesAndNoOutputBias() throws Exception {
        String json = """
                {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu",
                 "hidden_size": 32, "intermediate_size": 48, "max_position_embeddings": 40,
                 "max_window_layers": 2, "num_attention_heads": 4, "num_hidden_layers": 2,
                 "num_key_value_heads": 2, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
                 "sliding_window": 32768, "use_sliding_window": false, "tie_word_embeddings": true,
                 "torch_dtype": "bfloat16", "vocab_size": 61, "rope_scaling": null}""";
        TransformerConfig c = HfConfigs.fromJson(new ObjectMapper().readTree(json), "qwen2/config.json");
        assertEquals(TransformerConfig.Family.LLAMA, c.family());
        assertEquals(2, c.kvHeads());
        assertTrue(c.hasBias(LoraTarget.Q) && c.hasBias(LoraTarget.K) && c.hasBias(LoraTarget.V));
        assertTrue(!c.hasBias(LoraTarget.O) && !c.hasBias(LoraTarget.GATE));
        assertTrue(c.tiedEmbeddings());
        assertEquals(1e6, c.ropeTheta());
        // Its tensors: q/k/v biases present, no o_proj bias, no lm_head.
        Map<String, HostTensor> hf = HfWeightNames.toHf(weights(c, 6));
        assertTrue(hf.containsKey("model.layers.1.self_attn.k_proj.bias"));
        assertTrue(!hf.containsKey("model.layers.1.self_attn.o_proj.bias") && !hf.containsKey("lm_head.weight"));
        assertEquals(hf, HfWeightNames.toHf(HfWeightNames.fromHf(c, hf)));
        assertEquals(c, HfConfigs.fromJson(HfConfigs.toJson(c), "again"));
    }

    @Test
    void tensorNamesRoundTripWithTiedAndUntiedHeads() {
        for (boolean tied : new boolean[] {true, false}) {
            TransformerConfig c = llama(2, null, true, tied);
            TransformerWeights w = weights(c, 7);
            Map<String, HostTensor> hf = HfWeightNames.toHf(w);
            assertEquals(!tied, hf.containsKey("lm_head.weight"));
            assertEquals(List.of(16L, 32L), List.of(hf.get("model.layers.0.self_attn.v_proj.weight").dim(0),
                    hf.get("model.layers.0.self_attn.v_proj.weight").dim(1)));
            TransformerWeights back = HfWeightNames.fromHf(c, hf);
            assertEquals(hf, HfWeightNames.toHf(back));
            if (tied) {
                assertNull(back.lmHead());
                // A tied checkpoint may carry a copy of the embeddings as lm_head; it is ignored.
                Map<String, HostTensor> withCopy = new LinkedHashMap<>(hf);
                withCopy.put("lm_head.weight", hf.get("model.embed_tokens.weight"));
                assertEquals(hf, HfWeightNames.toHf(HfWeightNames.fromHf(c, withCopy)));
            } else {
                assertEquals(hf.get("lm_head.weight"), back.lmHead());
            }
        }
    }

    @Test
    void unknownModelTypeIsRefusedNamingIt() {
        ObjectNode json = HfConfigs.toJson(llama(2, null, false, false));
        json.put("model_type", "falcon");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HfConfigs.fromJson(json, "m/config.json"));
        assertTrue(e.getMessage().contains("m/config.json") && e.getMessage().contains("'falcon'"), e.getMessage());
    }

    @Test
    void headsNotAMultipleOfKeyValueHeadsIsRefused() {
        ObjectNode json = HfConfigs.toJson(llama(2, null, false, false));
        json.put("num_key_value_heads", 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HfConfigs.fromJson(json, "m/config.json"));
        assertTrue(e.getMessage().contains("num_attention_heads 4") && e.getMessage().contains("num_key_value_heads 3"),
                e.getMessage());
    }

    @Test
    void missingTensorIsNamed() {
        TransformerConfig c = llama(2, null, false, false);
        Map<String, HostTensor> hf = new LinkedHashMap<>(HfWeightNames.toHf(weights(c, 8)));
        hf.remove("model.layers.1.mlp.gate_proj.weight");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HfWeightNames.fromHf(c, hf));
        assertTrue(e.getMessage().contains("layers.1.mlp.gate_proj.weight"), e.getMessage());
        Map<String, HostTensor> noHead = new LinkedHashMap<>(HfWeightNames.toHf(weights(c, 8)));
        noHead.remove("lm_head.weight");
        e = assertThrows(IllegalArgumentException.class, () -> HfWeightNames.fromHf(c, noHead));
        assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());
    }

    @Test
    void tensorOfWrongShapeIsNamedWithBothShapes() {
        TransformerConfig c = llama(2, null, true, false);
        Map<String, HostTensor> hf = new LinkedHashMap<>(HfWeightNames.toHf(weights(c, 9)));
        // A checkpoint whose k_proj has one key/value head per query head (kvHeads 4, not 2).
        hf.put("model.layers.0.self_attn.k_proj.weight", new HostTensor(new long[] {32, 32}, new float[32 * 32]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HfWeightNames.fromHf(c, hf));
        assertTrue(e.getMessage().contains("model.layers.0.self_attn.k_proj.weight")
                && e.getMessage().contains("[32, 32]") && e.getMessage().contains("[16, 32]"), e.getMessage());
        Map<String, HostTensor> badBias = new LinkedHashMap<>(HfWeightNames.toHf(weights(c, 9)));
        badBias.put("model.layers.1.self_attn.q_proj.bias", new HostTensor(new long[] {16}, new float[16]));
        e = assertThrows(IllegalArgumentException.class, () -> HfWeightNames.fromHf(c, badBias));
        assertTrue(e.getMessage().contains("model.layers.1.self_attn.q_proj.bias") && e.getMessage().contains("[32]"),
                e.getMessage());
    }

    @Test
    void nonFiniteWeightsAreRefusedNamingTheTensor(@TempDir Path dir) throws Exception {
        TransformerConfig c = llama(2, null, false, false);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            Map<String, HostTensor> hf = new LinkedHashMap<>(HfWeightNames.toHf(weights(c, 10)));
            HostTensor t = hf.get("model.layers.1.self_attn.o_proj.weight");
            float[] d = t.data().clone();
            d[37] = bad;
            hf.put("model.layers.1.self_attn.o_proj.weight", new HostTensor(t.shape(), d));
            Path out = dir.resolve("m" + bad);
            HfModelDirectory.write(out, HfConfigs.toJson(c), hf, List.of(), Long.MAX_VALUE);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PretrainedModels.fromDirectory(out));
            assertTrue(e.getMessage().contains("'model.layers.1.self_attn.o_proj.weight'")
                    && e.getMessage().contains(Float.toString(bad)) && e.getMessage().contains("element 37"),
                    e.getMessage());
        }
    }

    @Test
    void directoryRoundTripGivesIdenticalLogits(@TempDir Path dir) throws Exception {
        TransformerConfig c = llama(2, LLAMA3, true, false);
        TransformerWeights w = weights(c, 11);
        HfModelDirectory.write(dir, HfConfigs.toJson(c), HfWeightNames.toHf(w), List.of(), Long.MAX_VALUE);
        TransformerWeights back = PretrainedModels.fromDirectory(dir);
        assertEquals(c, back.config());
        long[] ids = tokens(13, 7);
        try (NDManager m = NDManager.newBaseManager()) {
            assertEquals(0.0, maxDiff(logits(m, w, ids, 1), logits(m, back, ids, 1)));
        }
    }
}
