package io.fedpipe.planning;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fedpipe.bench.StepFlops;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.quant.QuantFormat;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The planner's memory and time coefficients against published counts and hand arithmetic. */
class CostAndMemoryModelTest {

    private static final Set<LoraTarget> QKVO = EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O);

    @Test
    void presetParameterCountsMatchThePublishedModels() {
        // Hugging Face model cards: meta-llama/Llama-2-7b-hf 6,738,415,616; gpt2 124,439,808.
        assertEquals(6_738_415_616L, ModelShape.preset("llama-2-7b").parameters());
        assertEquals(124_439_808L, ModelShape.preset("gpt2-small").parameters());
        // MiniLM-L6 linears: 6 × (4·384² + 2·384·1536) = 10,616,832.
        assertEquals(10_616_832L, ModelShape.preset("minilm-l6").linearParameters());
    }

    @Test
    void baseBytesPerFormat() {
        ModelShape llama = ModelShape.preset("llama-2-7b");
        DevicePreset gpu = DevicePreset.preset("a100-80gb");
        long others = 131_072_000L * 2 + 266_240L; // embeddings, head, RMSNorm scales
        // NF4: 0.5 B code + 4 B scale per 64 values = 0.5625 B; the rest BF16 on a GPU.
        assertEquals(Math.round(6_476_005_376L * 0.5625 + others * 2), MemoryModel.baseBytes(llama, QuantFormat.NF4, gpu));
        assertEquals(6_476_005_376L + 6_476_005_376L / 16 + others * 2, MemoryModel.baseBytes(llama, QuantFormat.INT8, gpu));
        assertEquals(6_738_415_616L * 4, MemoryModel.baseBytes(llama, QuantFormat.FP32, gpu));
    }

    @Test
    void activationConstantsReproduceTheMiniLmCalibration() {
        ModelShape miniLm = ModelShape.preset("minilm-l6");
        // Measured: batch 16 × 64 tokens, FP32: ≈ 330 MB whole-graph, ≈ 200 MB with per-block recompute.
        assertEquals(330e6, MemoryModel.activationBytes(miniLm, 16, 64, false, 4), 1e6);
        assertEquals(200e6, MemoryModel.activationBytes(miniLm, 16, 64, true, 4), 1e6);
        // Linear in batch: half the batch, half the bytes.
        assertEquals(MemoryModel.activationBytes(miniLm, 16, 64, false, 4) / 2.0,
                MemoryModel.activationBytes(miniLm, 8, 64, false, 4), 1);
    }

    @Test
    void adapterParametersAndBytes() {
        // Rank 8 on q,k,v,o of MiniLM: 4 matrices × 8 × (384 + 384) × 6 layers = 147,456; 16 B each.
        long params = CostModel.adapterParameters(ModelShape.preset("minilm-l6"), QKVO, 8);
        assertEquals(147_456L, params);
        assertEquals(2_359_296L, MemoryModel.adapterBytes(params));
    }

    @Test
    void stepFlopsAgreeWithTheBenchmarksHonestCount() {
        TransformerConfig config = TransformerConfig.miniLmL6();
        LoraConfig lora = LoraConfig.uniform(config.layers(), QKVO, 8, 16, 0);
        double bench = StepFlops.perStep(config, lora, 16, 64, 0);
        assertEquals(bench, CostModel.stepFlops(ModelShape.preset("minilm-l6"), QKVO, 8, 16, 64), bench * 1e-12);
    }

    @Test
    void stepAndTransferTimes() {
        ModelShape miniLm = ModelShape.preset("minilm-l6");
        NodeSpec cpu = new NodeSpec("n", DevicePreset.preset("cpu-2core"), 1_000_000_000L, 0.5, 100, 50, 10);
        double flops = CostModel.stepFlops(miniLm, QKVO, 8, 16, 64);
        // FP32: 0.2 TFLOP/s × MFU 0.73 × utilization 1024/(1024+64) × scale 0.5; NF4 1.54× slower.
        double rate = 0.2e12 * 0.73 * (1024.0 / 1088) * 0.5;
        assertEquals(flops / rate, CostModel.stepSeconds(miniLm, cpu, QuantFormat.FP32, QKVO, 8, 16, 64), 1e-12);
        assertEquals(1.54 * flops / rate, CostModel.stepSeconds(miniLm, cpu, QuantFormat.NF4, QKVO, 8, 16, 64), 1e-12);
        // 147,456 FP32 parameters = 4,718,592 bits: up at 100 Mbit/s, down at 50.
        assertEquals(4_718_592 / 100e6 + 4_718_592 / 50e6, CostModel.transferSeconds(cpu, 147_456), 1e-12);
    }

    @Test
    void selectedMatricesCountOnlyThemselvesInParametersAndFlops() {
        ModelShape miniLm = ModelShape.preset("minilm-l6");
        java.util.Set<io.fedpipe.core.MatrixId> qOnly = new java.util.TreeSet<>();
        for (int layer = 0; layer < 6; layer++) {
            qOnly.add(new io.fedpipe.core.MatrixId(layer, LoraTarget.Q));
        }
        PlanningPolicy policy = PlanningPolicy.defaults(64).withMatrices(qOnly);
        assertEquals(EnumSet.of(LoraTarget.Q), policy.targets());
        long params = CostModel.adapterParameters(miniLm, policy, 8);
        assertEquals(6 * 8 * (384 + 384), params);
        assertEquals(CostModel.adapterParameters(miniLm, EnumSet.of(LoraTarget.Q), 8), params);
        assertEquals(CostModel.stepFlops(miniLm, EnumSet.of(LoraTarget.Q), 8, 16, 64),
                CostModel.stepFlops(miniLm, params, 16, 64), 1e-6);
        // Two matrices of one layer cost a third of what the six-layer q selection costs.
        java.util.Set<io.fedpipe.core.MatrixId> two = java.util.Set.of(new io.fedpipe.core.MatrixId(2, LoraTarget.Q),
                new io.fedpipe.core.MatrixId(2, LoraTarget.V));
        assertEquals(params / 3, CostModel.adapterParameters(miniLm, PlanningPolicy.defaults(64).withMatrices(two), 8));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> CostModel.adapterParameters(
                miniLm, PlanningPolicy.defaults(64).withMatrices(java.util.Set.of(new io.fedpipe.core.MatrixId(9,
                        LoraTarget.Q))), 8));
    }
}
