package io.fedpipe.simulation;

import io.fedpipe.round.NodeRoundPlan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.job.JobSpec;
import io.fedpipe.planning.ModelShape;
import io.fedpipe.planning.Plan;
import io.fedpipe.quant.QuantFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The planner in the simulation loop: experiment nodes in, round plans for the selected matrices out. */
class PlannedClusterTest {

    private static final ModelShape MINILM = ModelShape.preset("minilm-l6");
    private static final JobSpec.PlannerChoices PLANNER = new JobSpec.PlannerChoices("cpu-2core",
            List.of("fp32", "int8", "nf4"), List.of(4, 8), List.of(4, 8, 16), 5, 40, 0.1, 0.8, 2.0);

    private static SimulatedNode node(String name, double scale, double up, double memoryMb) {
        return new SimulatedNode(name, 0, 0, 0, "fp32", scale, up, up, memoryMb);
    }

    @Test
    void weakNodeGetsAQuantizedBaseAndFewerStepsAndEveryNodeTrainsTheSelection() {
        List<SimulatedNode> nodes = List.of(node("edge-1", 1, 100, 1000), node("edge-4", 0.125, 10, 90));
        PlannedCluster cluster = new PlannedCluster(MINILM, PLANNER, 32, nodes, List.of(500, 500));
        List<MatrixId> selected = List.of(new MatrixId(1, LoraTarget.Q), new MatrixId(3, LoraTarget.V),
                new MatrixId(5, LoraTarget.O));
        Plan plan = cluster.plan(selected);
        Plan.NodePlan weak = plan.node("edge-4");
        Plan.NodePlan strong = plan.node("edge-1");
        // 90 MB is less than MiniLM's FP32 base (~91 MB): the weak node must train on a quantized one.
        assertNotEquals(QuantFormat.FP32, weak.bits());
        assertTrue(weak.memory().total() <= 90e6, "fits its budget: " + weak.memory());
        assertTrue(strong.steps() > weak.steps(), "the 8x faster node does more steps: " + plan.table());
        // Finish times line up within the idle tolerance.
        assertTrue(weak.finishSeconds() >= 0.9 * plan.roundSeconds() - 1e-9, plan.table());
        assertTrue(strong.finishSeconds() >= 0.9 * plan.roundSeconds() - 1e-9, plan.table());

        List<NodeRoundPlan> rounds = PlannedCluster.roundPlans(plan, selected);
        assertEquals(2, rounds.size());
        for (NodeRoundPlan r : rounds) {
            assertEquals(selected, List.copyOf(r.ranks().keySet()), "exactly the selected matrices");
            Plan.NodePlan p = plan.node(r.nodeId());
            assertEquals(p.steps(), r.steps());
            assertEquals(p.batch(), r.batchSize());
            assertEquals(p.bits().configName(), r.bits());
            assertEquals(1, r.ranks().values().stream().distinct().count(), "one rank per node");
        }
        // The selection, not all 24 candidates, is what the transfer time counts: fewer matrices, less time.
        Plan all = cluster.plan(MINILM.allMatrices(List.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V,
                LoraTarget.O)));
        Plan.NodePlan weakAll = all.node("edge-4");
        assertTrue(weak.transferSeconds() / weak.ranks().values().iterator().next()
                < weakAll.transferSeconds() / weakAll.ranks().values().iterator().next(), all.table());
    }

    @Test
    void modelledMemoryOfFixedPlansCountsFullFineTuning() {
        Map<MatrixId, io.fedpipe.aggregation.MatrixShape> shapes = Map.of(new MatrixId(0, LoraTarget.Q),
                new io.fedpipe.aggregation.MatrixShape(384, 384));
        NodeRoundPlan lora = new NodeRoundPlan("a", Map.of(new MatrixId(0, LoraTarget.Q), 8), 10, 8, "nf4");
        NodeRoundPlan ft = new NodeRoundPlan("a", Map.of(), 10, 8, "fp32");
        var device = io.fedpipe.planning.DevicePreset.preset("cpu-2core");
        long loraBytes = PlannedCluster.modelledMemory(MINILM, device, 32, lora, shapes);
        long ftBytes = PlannedCluster.modelledMemory(MINILM, device, 32, ft, shapes);
        // FT holds FP32 weights + gradient + two moments: 16 B per parameter, over 4 × 90 MB.
        assertTrue(ftBytes > 360e6, "FT " + ftBytes);
        assertTrue(loraBytes < 120e6, "NF4 LoRA " + loraBytes);
    }
}
