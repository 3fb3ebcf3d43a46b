package io.fedpipe.simulation;

import io.fedpipe.round.NodeRoundPlan;
import io.fedpipe.round.RoundLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.IntFunction;

/**
 * The simulator's driver of the {@link RoundLoop}: the same between-round decisions as the
 * cluster's scheduler (plan, re-plan when a node left, returned or ran slow, refresh importance,
 * finish), carried out in one process. Rounds run through a {@link Rounds} (the
 * {@link InProcessSimulator} trains every planned node in turn); which nodes take part before each
 * round comes from an availability script (every node, unless the experiment scripts churn).
 */
public final class SimulatedJob {

    /** A plan for the loop: each node's round plan, its modelled memory and its planned seconds. */
    public record RoundPlans(List<NodeRoundPlan> plans, Map<String, Long> memoryBytes, Map<String, Double> plannedSeconds) {
        public RoundPlans {
            plans = List.copyOf(plans);
            memoryBytes = Map.copyOf(memoryBytes);
            plannedSeconds = Map.copyOf(plannedSeconds);
        }
    }

    /** Planning and probing as the simulated nodes do them. */
    public interface Planning {
        /**
         * A plan over {@code nodes} before round {@code beforeRound}; {@code slowdowns}: per node, how
         * many times slower than declared it proved to be (1 when absent). Throws
         * {@link IllegalArgumentException} when no node can train.
         */
        RoundPlans plan(int beforeRound, Set<String> nodes, Map<String, Double> slowdowns);

        /** Probe importance on {@code nodes} before {@code beforeRound}; measured probe seconds per node. */
        default Map<String, Double> probe(int beforeRound, Set<String> nodes) {
            return Map.of();
        }
    }

    /** One round's outcome as the loop needs it. */
    public record RoundResult(Map<String, RoundLoop.NodeTime> times, boolean failures, double emulatedSeconds) {}

    /** Runs round {@code round} (1-based) with these plans and the probe's seconds per node before it. */
    @FunctionalInterface
    public interface Rounds {
        RoundResult run(int round, RoundPlans plans, Map<String, Double> setupSeconds);
    }

    /** Everything the loop decided, in order, and the emulated time it took. */
    public record Run(List<RoundLoop.Fact> facts, double emulatedSeconds) {
        public Run {
            facts = List.copyOf(facts);
        }
    }

    private final RoundLoop<RoundPlans> loop;
    private final Planning planning;
    private final IntFunction<Set<String>> available;
    private final Map<String, Double> slowdowns = new TreeMap<>();
    /** The plan in force: the last one the loop adopted. */
    private RoundPlans current;

    /**
     * @param available the nodes that are there before round r (1-based): every node unless churn is scripted
     */
    public SimulatedJob(RoundLoop.Policy policy, Planning planning, IntFunction<Set<String>> available) {
        this.planning = planning;
        this.available = available;
        this.loop = new RoundLoop<>(policy, (beforeRound, nodes, found) -> {
            Map<String, Double> all = new TreeMap<>(slowdowns);
            found.forEach((n, f) -> all.merge(n, f, (a, b) -> a * b));
            RoundPlans p = planning.plan(beforeRound, nodes, all);
            List<String> planned = p.plans().stream().map(NodeRoundPlan::nodeId).toList();
            List<String> excluded = nodes.stream().filter(n -> !planned.contains(n)).toList();
            return new RoundLoop.Planned<>(p, planned, excluded);
        });
    }

    /**
     * Runs the job to its end, or until no round may start after {@code maxEmulatedSeconds}
     * (methods compared at equal emulated time rather than equal rounds).
     */
    public Run run(Rounds rounds, double maxEmulatedSeconds) {
        if (!(maxEmulatedSeconds > 0)) {
            throw new IllegalArgumentException("the emulated time limit must be positive: " + maxEmulatedSeconds);
        }
        List<RoundLoop.Fact> log = new ArrayList<>();
        RoundLoop.State state = RoundLoop.State.preparing();
        Set<String> first = new TreeSet<>(available.apply(1));
        Map<String, Double> setup = planning.probe(1, first);
        state = record(state, loop.decide(state, new RoundLoop.Start(first)), log);
        double elapsed = 0;
        while (!state.phase().over()) {
            if (state.probing()) {
                Set<String> here = new TreeSet<>(available.apply(state.round() + 1));
                setup = planning.probe(state.round() + 1, here);
                state = record(state, loop.decide(state, new RoundLoop.Probed(here)), log);
                continue;
            }
            if (elapsed >= maxEmulatedSeconds) {
                break;
            }
            int round = state.round();
            RoundResult r = rounds.run(round, current, setup);
            setup = Map.of();
            elapsed += r.emulatedSeconds();
            RoundLoop.RoundClosed closed = loop.roundClosed(round, r.times(), !r.failures());
            log.add(closed);
            state = state.apply(closed);
            state = record(state, loop.decide(state, new RoundLoop.RoundDone(new TreeSet<>(available.apply(round + 1)))),
                    log);
        }
        return new Run(log, elapsed);
    }

    @SuppressWarnings("unchecked")
    private RoundLoop.State record(RoundLoop.State state, RoundLoop.Step step, List<RoundLoop.Fact> log) {
        for (RoundLoop.Fact f : step.facts()) {
            if (f instanceof RoundLoop.PlanAdopted<?> p) {
                current = ((RoundLoop.PlanAdopted<RoundPlans>) p).plan();
            }
            if (f instanceof RoundLoop.NodeSlowed s) {
                slowdowns.merge(s.nodeId(), s.factor(), (a, b) -> a * b);
            }
            if (f instanceof RoundLoop.Failed x) {
                throw new IllegalArgumentException(x.reason());
            }
            log.add(f);
        }
        return RoundLoop.applyAll(state, step.facts());
    }
}
