package io.fedpipe.cluster.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.cluster.protocol.NodeRole;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.planning.DevicePreset;
import io.fedpipe.profile.FittedCostModel;
import io.fedpipe.profile.MeasuredDevice;
import io.fedpipe.profile.MeasuredProfile;
import io.fedpipe.profile.SyntheticProfiles;
import io.fedpipe.quant.QuantFormat;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobPlanningTest {

    private static final int SEQ = 64;
    /** MiniLM on q, k, v, o at 64 tokens; fp32, batch 4, rank 8; the planner picks 1..200 steps per node. */
    private static JobSpec job() {
        return new JobSpec("job-p", "minilm-l6", new JobSpec.Data("wordnet-topics", 0, 0, "iid", 0.5), "fedpipe", 2,
                List.of("q", "k", "v", "o"), 16f, 2e-3f, 0, SEQ, 1L, 1, 1.0, 60_000L, new JobSpec.PlannerChoices(
                        "cpu-2core", List.of("fp32"), List.of(4), List.of(8), 1, 200, 0.1, 0.8, 3.0), null,
                Double.POSITIVE_INFINITY, "fedpipe", "default");
    }

    private static NodeProfile node(String id, NodeProfile.Measured measured) {
        return new NodeProfile(id, EnumSet.of(NodeRole.EDGE), 4L << 30, 100, 100, 1.0, 1, measured);
    }

    @Test
    void aNodeWithAMeasuredProfileIsPlannedFromItsFittedModel() {
        // Its steps run at 20 GFLOP/s fp32 exactly, so both fits are exact and agree.
        var profile = SyntheticProfiles.pureFlopRate(SEQ, Map.of(QuantFormat.FP32, 5e-11, QuantFormat.NF4, 8e-11));
        FittedCostModel fitted = FittedCostModel.fit(profile, SyntheticProfiles.SHAPE, FittedCostModel.Form.FLOPS);
        MeasuredProfile file = MeasuredProfile.of(profile,
                MeasuredDevice.fit("measured", profile, SyntheticProfiles.SHAPE, 0), fitted);
        NodeProfile.Measured measured = new NodeProfile.Measured(file.fp32Tflops(), file.halfUtilizationTokens(),
                file.slowdown());

        JobPlanning.Result r = JobPlanning.plan(job(), List.of(), List.of(
                new JobPlanning.NodeInput(node("edge-preset", null), 1, 100),
                new JobPlanning.NodeInput(node("edge-measured", measured), 1, 100)), "cpu-2core");

        Map<String, SchedulerEvent.PlannedNode> rows = new java.util.TreeMap<>();
        r.rows().forEach(row -> rows.put(row.nodeId(), row));
        SchedulerEvent.PlannedNode m = rows.get("edge-measured");
        SchedulerEvent.PlannedNode p = rows.get("edge-preset");
        assertEquals(List.of(4, 8), List.of(m.batch(), m.ranks().get("q")));
        double predicted = fitted.predictSeconds(QuantFormat.FP32, 4, 8);
        double measuredStep = m.plannedComputeSeconds() / m.steps();
        double presetStep = p.plannedComputeSeconds() / p.steps();
        assertEquals(predicted, measuredStep, 1e-6 * predicted);
        assertTrue(Math.abs(presetStep / measuredStep - 1) > 0.1,
                "preset " + presetStep + " s per step vs measured " + measuredStep + " s");
    }

    @Test
    void aNodeWithoutAMeasuredProfileKeepsThePreset() {
        DevicePreset preset = DevicePreset.preset("cpu-2core");
        assertSame(preset, JobPlanning.device(node("edge-a", null), preset));
        NodeProfile.Measured m = new NodeProfile.Measured(0.02, 0, Map.of("fp32", 1.0, "bf16", 1.6, "fp16", 1.6,
                "int8", 1.6, "nf4", 1.6));
        DevicePreset d = JobPlanning.device(node("edge-b", m), preset);
        assertEquals("measured:edge-b", d.name());
        assertEquals(0.02, d.fp32Tflops(), 0);
        assertEquals(1.6, d.slowdown().get(QuantFormat.NF4), 0);
    }
}
