package io.fedpipe.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.model.TinyModels;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.planning.CostModel;
import io.fedpipe.planning.ModelShape;
import io.fedpipe.quant.QuantFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NodeProfilerTest {

    @Test
    void tinyProfileTimesEveryPointAndCountsBaseBytesExactly() throws Exception {
        EngineSetup.start(1);
        TransformerConfig c = TinyModels.bert(); // 2 layers, d = 32, f = 64, vocab 61, 40 positions, 2 types
        TransformerWeights w = TransformerWeights.random(c, 3);
        Set<LoraTarget> targets = Set.of(LoraTarget.Q, LoraTarget.V);
        NodeProfiler.Settings s = new NodeProfiler.Settings(8, targets, 3, 1, 2, 2, 1, 2, 1, 5);
        List<ProfilePoint> grid = new ArrayList<>();
        for (QuantFormat f : List.of(QuantFormat.FP32, QuantFormat.INT8, QuantFormat.NF4)) {
            grid.add(new ProfilePoint(f, 2, 2));
            grid.add(new ProfilePoint(f, 1, 4));
        }
        NodeProfile p;
        try (NDManager m = NDManager.newBaseManager()) {
            p = new NodeProfiler(m, w, "tiny", s).profile(grid);
        }
        assertEquals(6, p.timings().size());
        ModelShape shape = ModelShape.of("tiny", c);
        for (int i = 0; i < grid.size(); i++) {
            NodeProfile.StepTiming t = p.timings().get(i);
            assertEquals(grid.get(i), t.point());
            assertEquals(2, t.seconds().size());
            assertTrue(t.seconds().stream().allMatch(x -> x > 0), t.toString());
            assertEquals(CostModel.stepFlops(shape, targets, t.rank(), t.batch(), 8), t.flops(), 0);
        }
        // Linear elements: 2 layers × (4·32·32 + 2·32·64) = 16,384, in 256 blocks of 64.
        assertEquals(16_384, NodeProfiler.linearElements(w));
        assertEquals(4 * 16_384, p.memory(QuantFormat.FP32).baseLinearBytes());
        assertEquals(16_384 + 4 * 256, p.memory(QuantFormat.INT8).baseLinearBytes());
        // NF4 packs two codes a byte and keeps, per matrix, its [256, 2] float decode table on the device.
        assertEquals(16_384 / 2 + 4 * 256 + 12 * 256 * 2 * 4, p.memory(QuantFormat.NF4).baseLinearBytes());
        // Other parameters, FP32: embeddings 61·32 + 40·32 + 2·32, embedding norm 2·32,
        // per layer biases 4·32 + 64 + 32 and two norms 4·32: 3,360 + 2·352 = 4,064.
        for (QuantFormat f : List.of(QuantFormat.FP32, QuantFormat.INT8, QuantFormat.NF4)) {
            NodeProfile.FormatMemory fm = p.memory(f);
            assertEquals(4 * 4_064, fm.baseOtherBytes());
            assertEquals(1, fm.smallBatch());
            assertEquals(2, fm.largeBatch());
            assertTrue(fm.smallGrowthBytes() >= 0 && fm.largeGrowthBytes() >= 0, fm.toString()); // Linux /proc
        }
        // Plain data: a JSON round trip gives an equal profile.
        ObjectMapper json = new ObjectMapper();
        assertEquals(p, json.readValue(json.writeValueAsString(p), NodeProfile.class));
    }

    @Test
    void activationSlopeAndInterceptComeFromTheTwoRuns() {
        var m = new NodeProfile.FormatMemory(QuantFormat.NF4, 10, 20, 8, 4, 140_000_000L, 16, 260_000_000L);
        assertEquals(10_000_000, m.activationBytesPerSample(), 1e-6);
        assertEquals(100_000_000, m.fixedStepBytes(), 1e-6);
        assertEquals(30, m.baseBytes());
        var unmeasured = new NodeProfile.FormatMemory(QuantFormat.NF4, 10, 20, 8, 4, -1, 16, 260_000_000L);
        assertTrue(Double.isNaN(unmeasured.activationBytesPerSample()));
    }
}
