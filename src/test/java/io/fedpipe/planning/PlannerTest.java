package io.fedpipe.planning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.quant.QuantFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The planner's promises: memory respected, no straggler, no idle node, clear failures, scale. */
class PlannerTest {

    private static final ModelShape MINILM = ModelShape.preset("minilm-l6");
    private static final DevicePreset CPU = DevicePreset.preset("cpu-2core");
    private static final PlanningPolicy POLICY = PlanningPolicy.defaults(64);

    private static NodeSpec cpu(String name, double gb, double scale, long data) {
        return new NodeSpec(name, CPU, Math.round(gb * 1e9), scale, 100, 100, data);
    }

    /** Smallest memory any configuration of {@code format} needs on {@code node} (batch 1, smallest rank). */
    private static long smallestNeed(NodeSpec node, QuantFormat format) {
        long adapters = CostModel.adapterParameters(MINILM, POLICY.targets(), 4);
        return MemoryModel.of(MINILM, node.device(), format, 1, POLICY.seq(), adapters).total();
    }

    @Test
    void nodeTooSmallForFp32GetsNf4() {
        NodeSpec tiny = cpu("tiny", 0.07, 1, 1000);
        // The premise, from the model: 70 MB is below every FP32 and INT8 configuration but above NF4's smallest.
        assertTrue(smallestNeed(tiny, QuantFormat.FP32) > tiny.usableBytes());
        assertTrue(smallestNeed(tiny, QuantFormat.INT8) > tiny.usableBytes());
        assertTrue(smallestNeed(tiny, QuantFormat.NF4) <= tiny.usableBytes());

        Plan plan = Planner.plan(MINILM, List.of(cpu("big", 4, 1, 1000), tiny), POLICY);
        assertEquals(QuantFormat.NF4, plan.node("tiny").bits());
        assertEquals(QuantFormat.FP32, plan.node("big").bits(), "FP32 is the fastest base when it fits");
        for (Plan.NodePlan n : plan.nodes()) {
            assertTrue(n.memory().total() <= n.memoryBudget(), n.node() + " over budget");
        }
    }

    @Test
    void slowerNodesGetLessWorkSoFinishTimesLineUp() {
        List<NodeSpec> nodes = List.of(cpu("s1", 2, 1, 1000), cpu("s2", 2, 0.5, 1000),
                cpu("s4", 2, 0.25, 1000), cpu("s8", 2, 0.125, 1000));
        Plan plan = Planner.plan(MINILM, nodes, POLICY);
        double t = plan.roundSeconds();
        for (Plan.NodePlan n : plan.nodes()) {
            assertTrue(n.finishSeconds() <= t * (1 + 1e-9), n.node() + " straggles: " + n.finishSeconds() + " > " + t);
            assertTrue(n.finishSeconds() >= 0.9 * t, n.node() + " idles: " + n.finishSeconds() + " < 0.9 × " + t);
            assertTrue(n.steps() >= POLICY.minSteps());
        }
        long[] samples = plan.nodes().stream().mapToLong(Plan.NodePlan::samples).toArray();
        for (int i = 1; i < samples.length; i++) {
            assertTrue(samples[i] < samples[i - 1], "half the speed must mean fewer samples: " + plan.table());
        }
        // Same device and budget: each halving of speed should roughly halve the samples (±25%: rounding, transfer).
        assertEquals(0.5, (double) samples[1] / samples[0], 0.125);
        System.out.print(plan.table());
    }

    @Test
    void nodeForWhichNothingFitsFailsNamingItAndTheShortfall() {
        NodeSpec hopeless = cpu("hopeless", 0.03, 1, 1000);
        long expected = smallestNeed(hopeless, QuantFormat.NF4) - hopeless.usableBytes();
        NoFitException e = assertThrows(NoFitException.class,
                () -> Planner.plan(MINILM, List.of(cpu("ok", 2, 1, 1000), hopeless), POLICY));
        assertEquals("hopeless", e.node());
        assertEquals(expected, e.shortfallBytes());
        assertTrue(e.getMessage().contains("'hopeless'") && e.getMessage().contains("nf4 base, batch 1, rank 4")
                && e.getMessage().contains(String.format(java.util.Locale.ROOT, "%.2f GB more", expected / 1e9)), e.getMessage());
    }

    @Test
    void nodeForWhichNothingFitsIsExcludedWithItsReasonByPolicy() {
        Plan plan = Planner.plan(MINILM, List.of(cpu("ok", 2, 1, 1000), cpu("hopeless", 0.03, 1, 1000)),
                POLICY.withNoFit(PlanningPolicy.NoFit.EXCLUDE));
        assertEquals(List.of("ok"), plan.nodes().stream().map(Plan.NodePlan::node).toList());
        assertEquals("hopeless", plan.excluded().get(0).node());
        assertTrue(plan.excluded().get(0).reason().contains("GB more"), plan.excluded().get(0).reason());
    }

    @Test
    void identicalNodesShareOnePlanWhateverTheirDataSize() {
        Plan plan = Planner.plan(MINILM, List.of(cpu("a", 2, 1, 100), cpu("b", 2, 1, 9000), cpu("c", 2, 0.5, 10)), POLICY);
        assertEquals(2, plan.classes());
        assertEquals(plan.node("a").steps(), plan.node("b").steps());
        assertNotEquals(plan.node("a").steps(), plan.node("c").steps());
    }

    @Test
    void aThousandNodesArePlannedQuickly() {
        List<NodeSpec> nodes = ClusterFile.synthetic(1000, 42);
        ModelShape llama = ModelShape.preset("llama-2-7b");
        PlanningPolicy policy = PlanningPolicy.defaults(256);
        Planner.plan(llama, nodes.subList(0, 50), policy); // warm-up: class loading and JIT
        long start = System.nanoTime();
        Plan plan = Planner.plan(llama, nodes, policy);
        double ms = (System.nanoTime() - start) / 1e6;
        System.out.printf("1000 nodes, %d classes: planned in %.1f ms%n", plan.classes(), ms);
        assertEquals(1000, plan.nodes().size());
        for (Plan.NodePlan n : plan.nodes()) {
            assertTrue(n.memory().total() <= n.memoryBudget(), n.node());
            assertTrue(n.finishSeconds() <= plan.roundSeconds() * (1 + 1e-9) && n.finishSeconds() >= 0.9 * plan.roundSeconds(),
                    n.node() + " finishes at " + n.finishSeconds() + " of " + plan.roundSeconds());
        }
    }

    @Test
    void theClassMilpAgreesWithEnumeration() {
        NodeSpec node = cpu("n", 0.5, 0.25, 1000);
        List<Candidate> candidates = new java.util.ArrayList<>();
        for (QuantFormat f : POLICY.formats()) {
            for (int b : POLICY.batches()) {
                for (int r : POLICY.ranks()) {
                    long p = CostModel.adapterParameters(MINILM, POLICY.targets(), r);
                    MemoryModel.Breakdown m = MemoryModel.of(MINILM, CPU, f, b, 64, p);
                    if (m.total() <= node.usableBytes()) {
                        candidates.add(new Candidate(f, b, r, m, CostModel.stepSeconds(MINILM, node, f, POLICY.targets(), r, b, 64),
                                CostModel.transferSeconds(node, p), r / 32.0));
                    }
                }
            }
        }
        for (double round : new double[] {20, 33.3, 75, 140}) {
            Planner.Choice enumerated = Planner.bestChoice(candidates, round, POLICY);
            Planner.Choice milp = ClassMilp.solve(candidates, round, POLICY);
            assertEquals(enumerated.work(), milp.work(), 1e-9, "T = " + round);
            assertTrue(milp.candidate().finishSeconds(milp.steps()) <= round + 1e-9);
        }
    }
}
