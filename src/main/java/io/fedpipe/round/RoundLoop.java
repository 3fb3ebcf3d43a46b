package io.fedpipe.round;

import io.fedpipe.importance.ImportanceSchedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The between-round policy of a federated job, as one pure state machine that both drivers run:
 * the simulator ({@code io.fedpipe.simulation.SimulatedJob}) and the cluster's scheduler
 * singleton. Rounds are numbered 1..n everywhere (status, journal, plans, reports).
 *
 * <pre>
 *  PREPARING ──Start(available)──▶ PlanAdopted(1) RoundOpened(1) ─▶ RUNNING (round 1 open)
 *  RUNNING, round r closed ──RoundDone──▶ Finished                       when r = rounds
 *                                      └▶ [NodeSlowed…] [PlanAdopted(r+1)] RoundOpened(r+1)
 *                                      └▶ ProbeRequested(r+1) ──Probed──▶ PlanAdopted(r+1) RoundOpened(r+1)
 *  any state not over ──Cancel──▶ Cancelled;  no node left / nothing fits ─▶ Failed
 * </pre>
 *
 * <p>{@link #decide} never changes a state: it returns the facts that follow from a signal
 * ({@link Step#facts}) and the driver records them (the scheduler journals them) and folds them in
 * with {@link State#apply}. Re-planning happens when a node of the plan is no longer available
 * ("left"), a node outside it is available again ("returned"), a node ran more than
 * {@link Policy#slowFactor} times its planned time for {@link Policy#slowRounds} rounds in a row
 * (hysteresis: one slow round is noise), or the importance probe was refreshed (every
 * {@link Policy#refreshEvery} rounds). The planner itself is the driver's pure function
 * ({@link Planning}); a failed re-plan keeps the plan in force while any of its nodes is available.
 *
 * @param <P> the driver's plan (the scheduler's journaled rows, the simulator's {@code Plan})
 */
public final class RoundLoop<P> {

    /** Measured / planned time above which a round counts as slow. */
    public static final double SLOW_FACTOR = 1.5;
    /** Slow rounds in a row that trigger a re-plan. */
    public static final int SLOW_ROUNDS = 2;

    /**
     * @param rounds       rounds to run
     * @param refreshEvery re-probe importance before every this many rounds; 0: only before round 1
     * @param slowFactor   measured / planned time above which a round is slow
     * @param slowRounds   slow rounds in a row that re-plan
     */
    public record Policy(int rounds, int refreshEvery, double slowFactor, int slowRounds) {
        public Policy {
            if (rounds < 1 || refreshEvery < 0 || !(slowFactor > 1) || slowRounds < 1) {
                throw new IllegalArgumentException("round loop needs rounds >= 1, refresh-every >= 0, slow factor > 1"
                        + " and slow rounds >= 1; got " + rounds + ", " + refreshEvery + ", " + slowFactor + ", "
                        + slowRounds);
            }
        }

        public static Policy of(int rounds, int refreshEvery) {
            return new Policy(rounds, refreshEvery, SLOW_FACTOR, SLOW_ROUNDS);
        }

        /**
         * Whether the probe is refreshed before round {@code round} (1-based): the importance
         * schedule's refresh rounds (0-based), except round 1, whose probe is part of preparation.
         */
        public boolean refreshesBefore(int round) {
            return round > 1 && refreshEvery > 0 && new ImportanceSchedule(refreshEvery).refreshesAt(round - 1);
        }
    }

    public enum Phase {
        PREPARING, RUNNING, FINISHED, CANCELLED, FAILED;

        public boolean over() {
            return this == FINISHED || this == CANCELLED || this == FAILED;
        }
    }

    /**
     * A job as the loop sees it.
     *
     * @param round      the round open now, or the last one opened; 0 before the first
     * @param open       {@code round} is open (not all its results are in)
     * @param probing    a refreshed probe was asked for before round {@code round + 1}
     * @param planned    the nodes of the plan in force
     * @param considered the nodes the plan in force was made over (planned and excluded)
     * @param slowStreak per node, slow rounds in a row under the plan in force
     * @param lastFactor per node, measured / planned time of its last slow round
     */
    public record State(Phase phase, int round, boolean open, boolean probing, Set<String> planned,
            Set<String> considered, Map<String, Integer> slowStreak, Map<String, Double> lastFactor) {

        public State {
            planned = Set.copyOf(new TreeSet<>(planned));
            considered = Set.copyOf(new TreeSet<>(considered));
            slowStreak = Map.copyOf(slowStreak);
            lastFactor = Map.copyOf(lastFactor);
        }

        public static State preparing() {
            return new State(Phase.PREPARING, 0, false, false, Set.of(), Set.of(), Map.of(), Map.of());
        }

        /** This state after {@code fact}. */
        public State apply(Fact fact) {
            return fact.applyTo(this);
        }

        State withPhase(Phase p) {
            return new State(p, round, false, false, planned, considered, slowStreak, lastFactor);
        }

        /**
         * Round results in: a node whose time exceeded {@code slowFactor} × its planned time extends
         * its streak, every other node's streak ends. A round that waited for its deadline (failures)
         * or was re-issued after a fail-over says nothing about speed: streaks stay as they were.
         */
        State closed(RoundClosed c) {
            if (!open || c.round() != round) {
                return this;
            }
            Map<String, Integer> streak = c.measures() ? new TreeMap<>() : new TreeMap<>(slowStreak);
            Map<String, Double> factors = new TreeMap<>(lastFactor);
            if (c.measures()) {
                c.times().forEach((node, t) -> {
                    if (t.planned() > 0 && t.measured() > c.slowFactor() * t.planned()) {
                        streak.put(node, slowStreak.getOrDefault(node, 0) + 1);
                        factors.put(node, t.measured() / t.planned());
                    }
                });
            }
            return new State(phase, round, false, probing, planned, considered, streak, factors);
        }
    }

    // ---- facts: what happened, past tense; the driver records them ---------------------------

    public sealed interface Fact {
        /** The state after this fact. */
        State applyTo(State s);
    }

    /** A plan is in force from round {@code beforeRound}; {@code reason} is empty for the first. */
    public record PlanAdopted<P>(int beforeRound, String reason, List<String> nodes, List<String> excluded, P plan)
            implements Fact {
        public PlanAdopted {
            nodes = List.copyOf(nodes);
            excluded = List.copyOf(excluded);
        }

        @Override
        public State applyTo(State s) {
            return new State(Phase.RUNNING, s.round(), s.open(), false, Set.copyOf(nodes), union(nodes, excluded),
                    Map.of(), s.lastFactor());
        }
    }

    /** The node ran {@code factor} × its plan for the streak that ended in round {@code round}. */
    public record NodeSlowed(String nodeId, int round, double factor) implements Fact {
        @Override
        public State applyTo(State s) {
            Map<String, Integer> streak = new TreeMap<>(s.slowStreak());
            streak.remove(nodeId);
            return new State(s.phase(), s.round(), s.open(), s.probing(), s.planned(), s.considered(), streak,
                    s.lastFactor());
        }
    }

    public record RoundOpened(int round) implements Fact {
        @Override
        public State applyTo(State s) {
            return new State(s.phase(), round, true, false, s.planned(), s.considered(), s.slowStreak(),
                    s.lastFactor());
        }
    }

    /** A node's time in a round against what its plan expected (same units, e.g. seconds). */
    public record NodeTime(double measured, double planned) {}

    /**
     * Every result of {@code round} is in. {@code measures}: the round's times say something about
     * the nodes' speed (no failures, not re-issued after a fail-over).
     */
    public record RoundClosed(int round, Map<String, NodeTime> times, boolean measures, double slowFactor)
            implements Fact {
        public RoundClosed {
            times = Map.copyOf(times);
        }

        @Override
        public State applyTo(State s) {
            return s.closed(this);
        }
    }

    /** The nodes are asked to probe importance again before round {@code beforeRound}. */
    public record ProbeRequested(int beforeRound) implements Fact {
        @Override
        public State applyTo(State s) {
            return new State(s.phase(), s.round(), s.open(), true, s.planned(), s.considered(), s.slowStreak(),
                    s.lastFactor());
        }
    }

    public record Finished(int rounds) implements Fact {
        @Override
        public State applyTo(State s) {
            return s.withPhase(Phase.FINISHED);
        }
    }

    public record Cancelled(String reason) implements Fact {
        @Override
        public State applyTo(State s) {
            return s.withPhase(Phase.CANCELLED);
        }
    }

    public record Failed(String reason) implements Fact {
        @Override
        public State applyTo(State s) {
            return s.withPhase(Phase.FAILED);
        }
    }

    // ---- signals: what the driver observed ---------------------------------------------------

    public sealed interface Signal {}

    /** Preparation is over (every participant answered, or the timeout): {@code available} have the job. */
    public record Start(Set<String> available) implements Signal {}

    /** The open round closed ({@link State#apply} of its {@link RoundClosed} is done): go on. */
    public record RoundDone(Set<String> available) implements Signal {}

    /** The refreshed probe asked by {@link ProbeRequested} is in. */
    public record Probed(Set<String> available) implements Signal {}

    public record Cancel(String reason) implements Signal {}

    /**
     * The driver's planner: a plan over {@code nodes} before round {@code beforeRound}, with the
     * nodes it could not fit; throws {@link IllegalArgumentException} when no node can train.
     */
    @FunctionalInterface
    public interface Planning<P> {
        Planned<P> plan(int beforeRound, Set<String> nodes, Map<String, Double> slowdowns);
    }

    public record Planned<P>(P plan, List<String> nodes, List<String> excluded) {}

    /**
     * What a signal led to: facts to record in order, and warnings to log (a re-plan that found
     * nothing better is not a fact: the plan in force goes on).
     */
    public record Step(List<Fact> facts, List<String> warnings) {
        public Step {
            facts = List.copyOf(facts);
            warnings = List.copyOf(warnings);
        }

        static Step none() {
            return new Step(List.of(), List.of());
        }
    }

    private final Policy policy;
    private final Planning<P> planning;

    public RoundLoop(Policy policy, Planning<P> planning) {
        this.policy = policy;
        this.planning = planning;
    }

    public Policy policy() {
        return policy;
    }

    /** The facts that follow from {@code signal} in {@code state}; none when it does not apply there. */
    public Step decide(State state, Signal signal) {
        if (state.phase().over()) {
            return Step.none();
        }
        if (signal instanceof Cancel c) {
            return new Step(List.of(new Cancelled(c.reason())), List.of());
        }
        if (signal instanceof Start s) {
            return state.phase() == Phase.PREPARING ? start(s.available()) : Step.none();
        }
        boolean running = state.phase() == Phase.RUNNING && !state.open() && state.round() > 0;
        if (signal instanceof RoundDone d) {
            return running && !state.probing() ? next(state, d.available(), false) : Step.none();
        }
        Probed p = (Probed) signal;
        return running && state.probing() ? next(state, p.available(), true) : Step.none();
    }

    /** The fact that records round {@code round}'s results, with this loop's slow factor. */
    public RoundClosed roundClosed(int round, Map<String, NodeTime> times, boolean measures) {
        return new RoundClosed(round, times, measures, policy.slowFactor());
    }

    private Step start(Set<String> available) {
        if (available.isEmpty()) {
            return new Step(List.of(new Failed("no node prepared the job")), List.of());
        }
        try {
            Planned<P> p = planning.plan(1, new TreeSet<>(available), Map.of());
            return new Step(List.of(new PlanAdopted<>(1, "", p.nodes(), p.excluded(), p.plan()), new RoundOpened(1)),
                    List.of());
        } catch (IllegalArgumentException e) {
            return new Step(List.of(new Failed("planning failed: " + e.getMessage())), List.of());
        }
    }

    /** Round {@code state.round()} is done (or its refreshed probe is in): finish, or plan and open the next. */
    private Step next(State state, Set<String> available, boolean probed) {
        int done = state.round();
        if (done >= policy.rounds()) {
            return new Step(List.of(new Finished(done)), List.of());
        }
        if (available.isEmpty()) {
            return new Step(List.of(new Failed("every node of the job left")), List.of());
        }
        int round = done + 1;
        List<Fact> facts = new ArrayList<>();
        if (!probed && policy.refreshesBefore(round)) {
            return new Step(List.of(new ProbeRequested(round)), List.of());
        }
        List<String> reasons = new ArrayList<>();
        if (probed) {
            reasons.add("importance refreshed");
        }
        Set<String> left = new TreeSet<>(state.considered());
        left.removeAll(available);
        Set<String> returned = new TreeSet<>(available);
        returned.removeAll(state.considered());
        if (!left.isEmpty()) {
            reasons.add("left: " + String.join(", ", left));
        }
        if (!returned.isEmpty()) {
            reasons.add("returned: " + String.join(", ", returned));
        }
        Map<String, Double> slowdowns = new TreeMap<>();
        for (String node : state.planned()) {
            if (state.slowStreak().getOrDefault(node, 0) >= policy.slowRounds() && available.contains(node)) {
                double factor = state.lastFactor().getOrDefault(node, policy.slowFactor());
                facts.add(new NodeSlowed(node, done, factor));
                slowdowns.put(node, factor);
                reasons.add(String.format(Locale.ROOT, "%s ran %.2fx its plan for %d rounds", node, factor,
                        policy.slowRounds()));
            }
        }
        List<String> warnings = new ArrayList<>();
        if (!reasons.isEmpty()) {
            String reason = String.join("; ", reasons);
            try {
                Planned<P> p = planning.plan(round, new TreeSet<>(available), slowdowns);
                facts.add(new PlanAdopted<>(round, reason, p.nodes(), p.excluded(), p.plan()));
            } catch (IllegalArgumentException e) {
                Set<String> keep = new TreeSet<>(state.planned());
                keep.retainAll(available);
                if (keep.isEmpty()) {
                    facts.add(new Failed("re-planning failed: " + e.getMessage()));
                    return new Step(facts, warnings);
                }
                warnings.add("re-planning before round " + round + " (" + reason + ") failed, keeping the plan for "
                        + keep + ": " + e.getMessage());
            }
        }
        facts.add(new RoundOpened(round));
        return new Step(facts, warnings);
    }

    /** Folds {@code facts} into {@code state}. */
    public static State applyAll(State state, List<Fact> facts) {
        State s = state;
        for (Fact f : facts) {
            s = s.apply(f);
        }
        return s;
    }

    private static Set<String> union(List<String> a, List<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.addAll(b);
        return out;
    }
}
