package io.fedpipe.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.round.RoundLoop.Fact;
import io.fedpipe.round.RoundLoop.NodeTime;
import io.fedpipe.round.RoundLoop.PlanAdopted;
import io.fedpipe.round.RoundLoop.State;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The round loop's decisions on hand-written traces. */
class RoundLoopTest {

    /** Plans every node it is given, except those named "big" (they fit nothing); records the calls. */
    private static final class RecordingPlanning implements RoundLoop.Planning<String> {
        final List<String> calls = new ArrayList<>();

        @Override
        public RoundLoop.Planned<String> plan(int beforeRound, Set<String> nodes, Map<String, Double> slowdowns) {
            calls.add(beforeRound + ":" + nodes + slowdowns);
            List<String> fit = nodes.stream().filter(n -> !n.startsWith("big")).toList();
            if (fit.isEmpty()) {
                throw new IllegalArgumentException("nothing fits");
            }
            return new RoundLoop.Planned<>("plan-" + beforeRound, fit, nodes.stream().filter(n -> n.startsWith("big")).toList());
        }
    }

    private static State run(State s, RoundLoop.Step step, List<Fact> log) {
        log.addAll(step.facts());
        return RoundLoop.applyAll(s, step.facts());
    }

    private static Map<String, NodeTime> times(double a, double b) {
        Map<String, NodeTime> t = new TreeMap<>();
        t.put("a", new NodeTime(a, 10));
        t.put("b", new NodeTime(b, 10));
        return t;
    }

    @Test
    void aJobOfThreeRoundsPlansOnceOpensEachRoundAndFinishes() {
        RecordingPlanning planning = new RecordingPlanning();
        RoundLoop<String> loop = new RoundLoop<>(RoundLoop.Policy.of(3, 0), planning);
        List<Fact> log = new ArrayList<>();
        State s = run(State.preparing(), loop.decide(State.preparing(), new RoundLoop.Start(Set.of("a", "b", "big"))), log);
        assertEquals(new PlanAdopted<>(1, "", List.of("a", "b"), List.of("big"), "plan-1"), log.get(0));
        assertEquals(new RoundLoop.RoundOpened(1), log.get(1));
        for (int r = 1; r <= 3; r++) {
            assertTrue(s.open());
            s = s.apply(loop.roundClosed(r, times(10, 10), true));
            s = run(s, loop.decide(s, new RoundLoop.RoundDone(Set.of("a", "b", "big"))), log);
        }
        assertEquals(List.of(new RoundLoop.RoundOpened(2), new RoundLoop.RoundOpened(3), new RoundLoop.Finished(3)),
                log.subList(2, 5));
        assertEquals(RoundLoop.Phase.FINISHED, s.phase());
        assertEquals(List.of("1:[a, b, big]{}"), planning.calls, "excluded nodes are considered: no re-plan for them");
        assertTrue(loop.decide(s, new RoundLoop.RoundDone(Set.of("a"))).facts().isEmpty(), "a finished job stays finished");
    }

    @Test
    void oneSlowRoundIsNoiseTwoInARowReplanWithTheMeasuredFactor() {
        RecordingPlanning planning = new RecordingPlanning();
        RoundLoop<String> loop = new RoundLoop<>(RoundLoop.Policy.of(5, 0), planning);
        List<Fact> log = new ArrayList<>();
        State s = run(State.preparing(), loop.decide(State.preparing(), new RoundLoop.Start(Set.of("a", "b"))), log);
        // Round 1: b slow (2x); round 2: b fine (streak ends); rounds 3 and 4: b 1.6x and 3x.
        double[] bTimes = {20, 10, 16, 30};
        for (int r = 1; r <= 4; r++) {
            s = s.apply(loop.roundClosed(r, times(10, bTimes[r - 1]), true));
            s = run(s, loop.decide(s, new RoundLoop.RoundDone(Set.of("a", "b"))), log);
        }
        List<Fact> afterRound4 = log.subList(log.size() - 3, log.size());
        assertEquals(new RoundLoop.NodeSlowed("b", 4, 3.0), afterRound4.get(0));
        PlanAdopted<?> replan = assertInstanceOf(PlanAdopted.class, afterRound4.get(1));
        assertEquals(5, replan.beforeRound());
        assertEquals("b ran 3.00x its plan for 2 rounds", replan.reason());
        assertEquals(new RoundLoop.RoundOpened(5), afterRound4.get(2));
        assertEquals(List.of("1:[a, b]{}", "5:[a, b]{b=3.0}"), planning.calls);
        assertEquals(Map.of(), s.slowStreak(), "a new plan starts every streak afresh");
    }

    @Test
    void aRoundWithFailuresDoesNotCountTowardSlowness() {
        RoundLoop<String> loop = new RoundLoop<>(RoundLoop.Policy.of(5, 0), new RecordingPlanning());
        List<Fact> log = new ArrayList<>();
        State s = run(State.preparing(), loop.decide(State.preparing(), new RoundLoop.Start(Set.of("a", "b"))), log);
        s = s.apply(loop.roundClosed(1, times(10, 20), true));
        s = run(s, loop.decide(s, new RoundLoop.RoundDone(Set.of("a", "b"))), log);
        s = s.apply(loop.roundClosed(2, times(10, 90), false));
        assertEquals(Map.of("b", 1), s.slowStreak(), "the deadline round neither extends nor resets b's streak");
    }

    @Test
    void aNodeThatLeavesAndReturnsIsPlannedOutAndBackIn() {
        RecordingPlanning planning = new RecordingPlanning();
        RoundLoop<String> loop = new RoundLoop<>(RoundLoop.Policy.of(4, 0), planning);
        List<Fact> log = new ArrayList<>();
        State s = run(State.preparing(), loop.decide(State.preparing(), new RoundLoop.Start(Set.of("a", "b"))), log);
        s = s.apply(loop.roundClosed(1, times(10, 10), true));
        s = run(s, loop.decide(s, new RoundLoop.RoundDone(Set.of("a"))), log);
        assertEquals("left: b", ((PlanAdopted<?>) log.get(2)).reason());
        assertEquals(Set.of("a"), s.planned());
        s = s.apply(loop.roundClosed(2, Map.of("a", new NodeTime(10, 10)), true));
        s = run(s, loop.decide(s, new RoundLoop.RoundDone(Set.of("a", "b"))), log);
        assertEquals("returned: b", ((PlanAdopted<?>) log.get(4)).reason());
        assertEquals(Set.of("a", "b"), s.planned());
        s = s.apply(loop.roundClosed(3, times(10, 10), true));
        s = run(s, loop.decide(s, new RoundLoop.RoundDone(Set.of())), log);
        assertEquals(new RoundLoop.Failed("every node of the job left"), log.get(log.size() - 1));
    }

    @Test
    void aFailedReplanKeepsThePlanWhileItHasNodesAndFailsWithout() {
        RoundLoop<String> loop = new RoundLoop<>(RoundLoop.Policy.of(4, 0), new RecordingPlanning());
        List<Fact> log = new ArrayList<>();
        State s = run(State.preparing(), loop.decide(State.preparing(), new RoundLoop.Start(Set.of("a"))), log);
        s = s.apply(loop.roundClosed(1, Map.of("a", new NodeTime(1, 1)), true));
        // "big" returns: the re-plan over {a, big} still plans a (big is excluded), fine.
        RoundLoop.Step step = loop.decide(s, new RoundLoop.RoundDone(Set.of("a", "big")));
        assertInstanceOf(PlanAdopted.class, step.facts().get(0));
        // Only "big" is left: planning throws and no node of the plan in force is available.
        RoundLoop.Step failed = loop.decide(s, new RoundLoop.RoundDone(Set.of("big")));
        assertEquals(List.of(new RoundLoop.Failed("re-planning failed: nothing fits")), failed.facts());
    }

    @Test
    void theProbeIsRefreshedEveryKRoundsBeforeThePlan() {
        RecordingPlanning planning = new RecordingPlanning();
        RoundLoop<String> loop = new RoundLoop<>(RoundLoop.Policy.of(5, 2), planning);
        List<Fact> log = new ArrayList<>();
        State s = run(State.preparing(), loop.decide(State.preparing(), new RoundLoop.Start(Set.of("a", "b"))), log);
        List<Integer> probedBefore = new ArrayList<>();
        for (int r = 1; r <= 5; r++) {
            s = s.apply(loop.roundClosed(r, times(10, 10), true));
            s = run(s, loop.decide(s, new RoundLoop.RoundDone(Set.of("a", "b"))), log);
            if (s.probing()) {
                probedBefore.add(r + 1);
                assertTrue(loop.decide(s, new RoundLoop.RoundDone(Set.of("a", "b"))).facts().isEmpty(),
                        "no round opens while the probe runs");
                s = run(s, loop.decide(s, new RoundLoop.Probed(Set.of("a", "b"))), log);
                assertEquals("importance refreshed", ((PlanAdopted<?>) log.get(log.size() - 2)).reason());
            }
        }
        assertEquals(List.of(3, 5), probedBefore, "rounds 1, 3, 5 use a fresh probe (0-based 0, 2, 4)");
        assertEquals(RoundLoop.Phase.FINISHED, s.phase());
    }

    @Test
    void cancelEndsAJobInAnyPhaseNotOver() {
        RoundLoop<String> loop = new RoundLoop<>(RoundLoop.Policy.of(2, 0), new RecordingPlanning());
        assertEquals(List.of(new RoundLoop.Cancelled("by a user")),
                loop.decide(State.preparing(), new RoundLoop.Cancel("by a user")).facts());
        State failed = State.preparing().apply(new RoundLoop.Failed("x"));
        assertTrue(loop.decide(failed, new RoundLoop.Cancel("late")).facts().isEmpty());
        assertEquals(List.of(new RoundLoop.Failed("no node prepared the job")),
                loop.decide(State.preparing(), new RoundLoop.Start(Set.of())).facts());
    }
}
