package io.fedpipe.round;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One trace of a job's life that both round-loop drivers are fed (the scheduler in
 * {@code SchedulerBehaviorTest}, the simulator in {@code SameDecisionsTest}): 3 nodes, 6 rounds;
 * edge-b runs 2x its plan in rounds 2 and 3; edge-c leaves after round 4 and is back (prepared
 * again) after round 5. Both must take {@link #DECISIONS}, round by round.
 */
public final class LoopTrace {

    private LoopTrace() {}

    public static final int ROUNDS = 6;

    public static final List<String> NODES = List.of("edge-a", "edge-b", "edge-c");

    /** Per node, measured / planned time in {@code round}: 1 where absent. */
    public static Map<String, Double> factors(int round) {
        return round == 2 || round == 3 ? Map.of("edge-b", 2.0) : Map.of();
    }

    /** The nodes there before {@code round} (1-based). */
    public static Set<String> available(int round) {
        return round == 5 ? Set.of("edge-a", "edge-b") : Set.of("edge-a", "edge-b", "edge-c");
    }

    /** The decisions the loop must take, in the drivers' common wording. */
    public static final List<String> DECISIONS = List.of("plan 1 [edge-a, edge-b, edge-c]", "open 1", "open 2",
            "open 3", "slowed edge-b after 3", "plan 4 (edge-b ran 2.00x its plan for 2 rounds) [edge-a, edge-b, edge-c]",
            "open 4", "plan 5 (left: edge-c) [edge-a, edge-b]", "open 5",
            "plan 6 (returned: edge-c) [edge-a, edge-b, edge-c]", "open 6", "finished");

    /** A loop fact in the common wording, or null when it is not a decision (a round's results). */
    public static String decision(RoundLoop.Fact f) {
        if (f instanceof RoundLoop.PlanAdopted<?> p) {
            String nodes = p.nodes().stream().sorted().toList().toString();
            return p.beforeRound() == 1 ? "plan 1 " + nodes : "plan " + p.beforeRound() + " (" + p.reason() + ") " + nodes;
        } else if (f instanceof RoundLoop.NodeSlowed s) {
            return "slowed " + s.nodeId() + " after " + s.round();
        } else if (f instanceof RoundLoop.RoundOpened o) {
            return "open " + o.round();
        } else if (f instanceof RoundLoop.Finished) {
            return "finished";
        }
        return null;
    }
}
