package io.fedpipe.planning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.bench.StepFlops;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.model.hf.HfConfigs;
import io.fedpipe.quant.QuantFormat;
import java.io.File;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The decoder terms of the planner's models: GQA shapes, the logits, SwiGLU blocks, per-block recompute. */
class DecoderMemoryModelTest {

    private static final Set<LoraTarget> QKVO = EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O);
    /** fedpipe-lm-small: Llama d 256, 6 layers, GQA 8/4, SwiGLU 688, vocabulary 8,192, tied head. */
    private static final ModelShape LM_SMALL = new ModelShape("fedpipe-lm-small", 6, 256, 688, 8, 4, 8192, 0, 3, true, true);
    private static final DevicePreset CPU = DevicePreset.preset("cpu-2core");

    private static ModelShape withVocab(ModelShape s, int vocab) {
        return new ModelShape(s.name(), s.layers(), s.hidden(), s.intermediate(), s.heads(), s.kvHeads(), vocab,
                s.positions(), s.ffnMatrices(), s.causalLm(), s.tiedHead());
    }

    @Test
    void gqaShapeCountsTheBuiltInDecoderExactly() throws Exception {
        // Per layer: q, o 256·256; k, v 256·128 (4 of 8 heads); gate, up, down 256·688 → 724,992.
        assertEquals(128, LM_SMALL.kvWidth());
        assertEquals(6 * 724_992L, LM_SMALL.linearParameters());
        // + tied embeddings 8,192·256 + 13 RMSNorm scales of 256 = the model card's 6,450,432.
        assertEquals(6_450_432L, LM_SMALL.parameters());
        File config = new File("models/fedpipe-lm-small/config.json");
        TransformerConfig c = HfConfigs.fromJson(new ObjectMapper().readTree(config), config.toString());
        assertEquals(LM_SMALL, ModelShape.of("fedpipe-lm-small", c));
    }

    @Test
    void gqaAdaptersAndFlopsUseTheNarrowKeyValueWidth() {
        // Rank 8: q, o 8·(256 + 256); k, v 8·(256 + 128); 6 layers = 86,016 (what bench memory's child counts).
        assertEquals(86_016L, CostModel.adapterParameters(LM_SMALL, QKVO, 8));
        File config = new File("models/fedpipe-lm-small/config.json");
        TransformerConfig c = assertDoesNotThrowConfig(config);
        LoraConfig lora = LoraConfig.uniform(c.layers(), QKVO, 8, 16, 0);
        double bench = StepFlops.perCausalLmStep(c, lora, 8, 128);
        assertEquals(bench, CostModel.stepFlops(LM_SMALL, QKVO, 8, 8, 128), bench * 1e-12);
    }

    private static TransformerConfig assertDoesNotThrowConfig(File config) {
        try {
            return HfConfigs.fromJson(new ObjectMapper().readTree(config), config.toString());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void withoutGqaTheShortConstructorKeepsEveryHeadForKeysAndValues() {
        ModelShape gpt2 = ModelShape.preset("gpt2-small");
        assertEquals(gpt2.heads(), gpt2.kvHeads());
        assertEquals(gpt2.hidden(), gpt2.kvWidth());
        assertThrows(IllegalArgumentException.class, () -> new ModelShape("x", 2, 256, 688, 8, 3, 100, 0, 3, true, true));
    }

    @Test
    void logitsTermIsCopiesTimesBatchTimesSeqTimesVocab() {
        // 4 B × 8 × 128 × 8,192 = 33.5 MB per copy of the logits.
        assertEquals(Math.round(4.0 * 8 * 128 * 8192 * MemoryModel.C_LOGITS), MemoryModel.logitsBytes(LM_SMALL, 8, 128, 4));
        assertEquals(2 * MemoryModel.logitsBytes(LM_SMALL, 8, 128, 4), MemoryModel.logitsBytes(LM_SMALL, 16, 128, 4));
        assertEquals(2 * MemoryModel.logitsBytes(LM_SMALL, 8, 64, 4), MemoryModel.logitsBytes(LM_SMALL, 8, 128, 4), 1);
        // Only the vocabulary changes: activations grow by exactly the logits' difference, in both modes.
        ModelShape big = withVocab(LM_SMALL, 32768);
        for (boolean recompute : new boolean[] {false, true}) {
            long delta = MemoryModel.activationBytes(big, 8, 128, recompute, 4)
                    - MemoryModel.activationBytes(LM_SMALL, 8, 128, recompute, 4);
            assertEquals(MemoryModel.logitsBytes(big, 8, 128, 4) - MemoryModel.logitsBytes(LM_SMALL, 8, 128, 4), delta, 1);
            assertEquals(3 * MemoryModel.logitsBytes(LM_SMALL, 8, 128, 4), delta, 2);
        }
        // Encoders have no logits term.
        assertEquals(0, MemoryModel.logitsBytes(ModelShape.preset("minilm-l6"), 16, 64, 4));
    }

    @Test
    void aLargerVocabularyNeedsMoreMemoryForEveryFormat() {
        ModelShape big = withVocab(LM_SMALL, 32768);
        for (QuantFormat f : QuantFormat.values()) {
            assertTrue(MemoryModel.of(big, CPU, f, 8, 128, 86_016).total()
                    > MemoryModel.of(LM_SMALL, CPU, f, 8, 128, 86_016).total(), f.configName());
        }
    }

    @Test
    void recomputeHoldsLessThanTheWholeGraphOfSixBlocks() {
        long whole = MemoryModel.activationBytes(LM_SMALL, 8, 128, false, 4);
        long recompute = MemoryModel.activationBytes(LM_SMALL, 8, 128, true, 4);
        assertTrue(recompute < whole, recompute + " vs " + whole);
        // The logits are held in both modes (the loss runs before the blocks' backward).
        long logits = MemoryModel.logitsBytes(LM_SMALL, 8, 128, 4);
        assertTrue(recompute > logits);
        // Concrete figures (the fitted constants): ≈ 508 MB whole graph, ≈ 379 MB with recompute.
        assertEquals(507.6e6, whole, 0.1e6);
        assertEquals(379.2e6, recompute, 0.1e6);
        // Whole graph minus recompute: five blocks' graphs less six kept inputs, per token.
        double d = 256;
        double block = MemoryModel.C_DECODER_SLACK * (MemoryModel.DECODER_SAVED_D * d + MemoryModel.DECODER_SAVED_F * 688)
                + MemoryModel.C_ATTENTION * 8 * 128;
        assertEquals(4.0 * 8 * 128 * (5 * block - 6 * MemoryModel.C_KEPT_DECODER * d), whole - recompute, 2);
    }

    @Test
    void decoderActivationsByHand() {
        // Whole graph, FP32, b 8, T 128: 4·1024·(6·(slack·(8·256 + 5·688) + 2·8·128) + C_LOGITS·8192) + 50 MB.
        double block = MemoryModel.C_DECODER_SLACK * (8 * 256 + 5 * 688) + 2 * 8 * 128;
        double expected = 4.0 * 1024 * (6 * block + MemoryModel.C_LOGITS * 8192) + 50e6;
        assertEquals(expected, MemoryModel.activationBytes(LM_SMALL, 8, 128, false, 4), 1);
        // The breakdown of an NF4 base on the CPU uses recompute and FP32 activations.
        MemoryModel.Breakdown b = MemoryModel.of(LM_SMALL, CPU, QuantFormat.NF4, 8, 128, 86_016);
        assertEquals(MemoryModel.activationBytes(LM_SMALL, 8, 128, true, 4), b.activationBytes());
        assertEquals(86_016L * 16, b.adapterBytes());
        // NF4 linears at 0.5625 B plus the FP32 embeddings and norms.
        assertEquals(Math.round(6 * 724_992 * 0.5625 + (2_097_152 + 3_328) * 4.0), b.baseBytes());
    }

    @Test
    void decoderStepTimeSlowsTheBlocksOnlyAndChargesTheLogits() {
        NodeSpec cpu = new NodeSpec("n", CPU, 1_000_000_000L, 1, 100, 100, 1);
        double flops = CostModel.stepFlops(LM_SMALL, 86_016, 8, 128);
        double head = 2.0 * 2 * 1024 * 256 * 8192; // forward + input gradient of the 256 × 8,192 head
        assertEquals(head, CostModel.headFlops(LM_SMALL, 8, 128), 1);
        double rate = 0.2e12 * 0.73 * (1024.0 / 1088);
        double logits = CostModel.LOGIT_WORK * 1024 * 8192;
        assertEquals(((flops - head) * 1.54 + head + logits) / rate,
                CostModel.stepSeconds(LM_SMALL, cpu, QuantFormat.NF4, 86_016, 8, 128), 1e-12);
        assertEquals((flops + logits) / rate, CostModel.stepSeconds(LM_SMALL, cpu, QuantFormat.FP32, 86_016, 8, 128), 1e-12);
        // The encoder's step has no head term: unchanged by the decoder terms.
        assertEquals(0, CostModel.headFlops(ModelShape.preset("minilm-l6"), 16, 64));
    }
}
