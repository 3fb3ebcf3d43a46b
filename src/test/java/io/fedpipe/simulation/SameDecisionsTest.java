package io.fedpipe.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fedpipe.core.MatrixId;
import io.fedpipe.round.LoopTrace;
import io.fedpipe.round.NodeRoundPlan;
import io.fedpipe.round.RoundLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The simulator's driver of the round loop takes the same decisions as the scheduler on the same
 * trace ({@link LoopTrace}; the scheduler's side is {@code SchedulerBehaviorTest}). The rounds are
 * stand-ins that report each planned node at the trace's factor of its planned time, so only the
 * driver is under test: how it turns availability and times into the loop's signals.
 */
class SameDecisionsTest {

    /** Plans every node it is given, 10 s each, slower nodes proportionally longer. */
    private static SimulatedJob.RoundPlans plan(Set<String> nodes, Map<String, Double> slowdowns, List<String> calls) {
        calls.add(nodes + " " + slowdowns);
        List<NodeRoundPlan> plans = new ArrayList<>();
        Map<String, Double> seconds = new TreeMap<>();
        for (String n : nodes) {
            plans.add(new NodeRoundPlan(n, Map.<MatrixId, Integer>of(), 10, 8, "fp32"));
            seconds.put(n, 10 * slowdowns.getOrDefault(n, 1.0));
        }
        return new SimulatedJob.RoundPlans(plans, Map.of(), seconds);
    }

    @Test
    void theSimulatorTakesTheTracesDecisions() {
        List<String> calls = new ArrayList<>();
        SimulatedJob job = new SimulatedJob(RoundLoop.Policy.of(LoopTrace.ROUNDS, 0),
                (beforeRound, nodes, slowdowns) -> plan(nodes, slowdowns, calls), LoopTrace::available);
        SimulatedJob.Run run = job.run((round, plans, setup) -> {
            Map<String, RoundLoop.NodeTime> times = new TreeMap<>();
            for (NodeRoundPlan p : plans.plans()) {
                double planned = plans.plannedSeconds().get(p.nodeId());
                times.put(p.nodeId(), new RoundLoop.NodeTime(LoopTrace.factors(round).getOrDefault(p.nodeId(), 1.0)
                        * planned, planned));
            }
            return new SimulatedJob.RoundResult(times, false, 10);
        }, Double.POSITIVE_INFINITY);
        List<String> decisions = run.facts().stream().map(LoopTrace::decision).filter(d -> d != null).toList();
        assertEquals(LoopTrace.DECISIONS, decisions);
        assertEquals(60.0, run.emulatedSeconds(), 1e-12);
        assertEquals("[edge-a, edge-b, edge-c] {edge-b=2.0}", calls.get(1), "the re-plan sees edge-b 2x slower");
        assertEquals("[edge-a, edge-b] {edge-b=2.0}", calls.get(2), "and keeps seeing it so");
    }

    @Test
    void aRefreshProbesBeforeThePlanAndTheEmulatedLimitStopsTheJob() {
        List<Integer> probes = new ArrayList<>();
        List<String> calls = new ArrayList<>();
        SimulatedJob job = new SimulatedJob(RoundLoop.Policy.of(6, 2), new SimulatedJob.Planning() {
            @Override
            public SimulatedJob.RoundPlans plan(int beforeRound, Set<String> nodes, Map<String, Double> slowdowns) {
                return SameDecisionsTest.plan(nodes, slowdowns, calls);
            }

            @Override
            public Map<String, Double> probe(int beforeRound, Set<String> nodes) {
                probes.add(beforeRound);
                return Map.of("edge-a", 1.5);
            }
        }, r -> Set.of("edge-a"));
        List<Map<String, Double>> setups = new ArrayList<>();
        SimulatedJob.Run run = job.run((round, plans, setup) -> {
            setups.add(setup);
            return new SimulatedJob.RoundResult(Map.of(), false, 10);
        }, 45);
        assertEquals(List.of(1, 3, 5), probes, "before round 1, then every 2 rounds");
        assertEquals(5, setups.size(), "no round starts after 45 emulated seconds: rounds 1..5 ran (50 s)");
        assertEquals(List.of(Map.of("edge-a", 1.5), Map.of(), Map.of("edge-a", 1.5), Map.of(), Map.of("edge-a", 1.5)),
                setups, "a probe's seconds count in the round after it");
        assertEquals(50.0, run.emulatedSeconds(), 1e-12);
        assertEquals(3, calls.size(), "planned before rounds 1, 3 and 5 (after each probe)");
    }
}
