package io.fedpipe.simulation;

import io.fedpipe.round.Emulation;
import io.fedpipe.round.VirtualClock;
import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.LocalResult;
import io.fedpipe.round.GlobalModel;
import io.fedpipe.round.LocalRound;
import io.fedpipe.round.LocalEvaluation;
import io.fedpipe.round.NodeRoundPlan;
import io.fedpipe.round.RoundEngine;
import io.fedpipe.local.ClassifierLocalRound;
import io.fedpipe.local.AdaptedClassifiers;
import ai.djl.ndarray.NDManager;
import io.fedpipe.aggregation.Failure;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.eval.ClassificationMetrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.Set;
import java.util.TreeSet;
import io.fedpipe.round.RoundLoop;

/**
 * Runs a federated job in one JVM: every round, each node's {@link LocalRound} runs in turn (one
 * model and one gradient collector at a time, as the PyTorch engine requires), then the
 * {@link RoundEngine} aggregates and the global model is scored. Time is measured per node and
 * turned into emulated cluster time by a {@link VirtualClock}.
 *
 * <p>Memory: a node's model is built at the start of its local round and closed at its end
 * ({@link ClassifierLocalRound}), so the device holds one model (plus the evaluation model, built
 * after all nodes are done) however many nodes are simulated; the host holds the base weights once.
 * Rebuilding a MiniLM-L6 costs a fraction of a second per node and round and is not counted as
 * compute time: a real node keeps its model.
 *
 * <p>A node whose local round throws is recorded as a {@link Failure}; the round completes with
 * the others.
 */
public final class InProcessSimulator<D> {

    /** A simulated node: its id, private data and emulated resources. */
    public record SimNode<D>(String id, D data, Emulation emulation) {}

    /** How the global model starts and is scored after each round: the task's side of the simulator. */
    public interface GlobalScoring {
        /** The dense tensors every node starts from (a classifier's fresh head; nothing for a decoder). */
        Map<String, io.fedpipe.core.HostTensor> initialDense();

        /** Scores of {@code global} after round {@code round} (0: the untrained start). */
        RoundScores score(NDManager manager, GlobalModel global, int round);
    }

    private final RoundEngine engine;
    private final LocalRound<D> local;
    private final GlobalScoring scoring;
    private final List<SimNode<D>> nodes;
    /** The global model so far (the importance probe starts from it); the run's own state. */
    private GlobalModel global;

    public InProcessSimulator(RoundEngine engine, LocalRound<D> local, GlobalScoring scoring, List<SimNode<D>> nodes) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a simulation needs at least one node");
        }
        this.engine = engine;
        this.local = local;
        this.scoring = scoring;
        this.nodes = List.copyOf(nodes);
    }

    /** A classification job's simulator: the global model scored by accuracy and macro-F1 on {@code validation}. */
    public static InProcessSimulator<ClassificationDataset> forClassifier(RoundEngine engine,
            LocalRound<ClassificationDataset> local, AdaptedClassifiers models,
            List<SimNode<ClassificationDataset>> nodes, ClassificationDataset validation) {
        return new InProcessSimulator<>(engine, local, new GlobalScoring() {
            @Override
            public Map<String, io.fedpipe.core.HostTensor> initialDense() {
                return models.initialHead();
            }

            @Override
            public RoundScores score(NDManager manager, GlobalModel global, int round) {
                ClassificationMetrics m = models.evaluate(manager, global, validation);
                return new RoundScores(m.accuracy(), m.macroF1(), Map.of());
            }
        }, nodes);
    }

    /** The global model after the last round run (the initial one before the first). */
    public GlobalModel global() {
        return global != null ? global : GlobalModel.initial(scoring.initialDense());
    }

    /** Runs {@code rounds} rounds from a fresh head and no adapters, every node with its fixed plan. */
    public List<RoundReport> run(int rounds, List<NodeRoundPlan> plans, NDManager manager) {
        SimulatedJob.RoundPlans fixed = new SimulatedJob.RoundPlans(plans, Map.of(), Map.of());
        return run(RoundLoop.Policy.of(rounds, 0), Double.POSITIVE_INFINITY, (r, n, s) -> fixed, manager, r -> { });
    }

    /**
     * Runs the job's rounds as the {@link RoundLoop} decides them ({@link SimulatedJob}), every node
     * taking part, and no round after the emulated clock reached {@code maxEmulatedSeconds}; tells
     * {@code progress} about each report as soon as it is made.
     *
     * @return round 0 (the untrained start) and one report per round
     */
    public List<RoundReport> run(RoundLoop.Policy policy, double maxEmulatedSeconds, SimulatedJob.Planning planning,
            NDManager manager, Consumer<RoundReport> progress) {
        Set<String> all = new TreeSet<>();
        nodes.forEach(n -> all.add(n.id()));
        return run(policy, maxEmulatedSeconds, planning, r -> all, manager, progress);
    }

    /** As above, with {@code available} saying which nodes are there before each round (scripted churn). */
    public List<RoundReport> run(RoundLoop.Policy policy, double maxEmulatedSeconds, SimulatedJob.Planning planning,
            IntFunction<Set<String>> available, NDManager manager, Consumer<RoundReport> progress) {
        global = GlobalModel.initial(scoring.initialDense());
        VirtualClock clock = new VirtualClock();
        List<RoundReport> reports = new ArrayList<>();
        RoundScores start = scoring.score(manager, global, 0);
        reports.add(new RoundReport(0, start.accuracy(), start.macroF1(), 0, 0, Map.of(), List.of(), List.of(),
                start.metrics(), null));
        progress.accept(reports.get(0));
        SimulatedJob.Rounds rounds = (round, plans, setup) -> {
            RoundStep step = runRound(round, engine.configure(round, plans.plans()), plans, setup, global);
            global = step.outcome.global();
            double roundSeconds = step.nodes.values().stream().filter(n -> n.bytesUp() > 0)
                    .mapToDouble(RoundReport.NodeReport::emulatedSeconds).max().orElse(0);
            double elapsed = clock.advance(roundSeconds);
            RoundScores m = scoring.score(manager, global, round);
            reports.add(new RoundReport(round, m.accuracy(), m.macroF1(), roundSeconds, elapsed, step.nodes,
                    step.outcome.result().rejected(), step.outcome.result().failures(), m.metrics(),
                    step.outcome.result().diagnostics()));
            progress.accept(reports.get(reports.size() - 1));
            Map<String, RoundLoop.NodeTime> times = new TreeMap<>();
            step.nodes.forEach((id, n) -> {
                Double planned = plans.plannedSeconds().get(id);
                if (planned != null && n.bytesUp() > 0) {
                    times.put(id, new RoundLoop.NodeTime(n.emulatedSeconds() - n.setupSeconds(), planned));
                }
            });
            return new SimulatedJob.RoundResult(times, !step.outcome.result().failures().isEmpty(), roundSeconds);
        };
        new SimulatedJob(policy, planning, available).run(rounds, maxEmulatedSeconds);
        return reports;
    }

    private record RoundStep(RoundEngine.Outcome outcome, Map<String, RoundReport.NodeReport> nodes) {}

    private RoundStep runRound(int round, List<NodeRoundPlan> plans, SimulatedJob.RoundPlans planned,
            Map<String, Double> setup, GlobalModel global) {
        Map<String, SimNode<D>> byId = new LinkedHashMap<>();
        nodes.forEach(n -> byId.put(n.id(), n));
        List<NodeAssignment> sent = new ArrayList<>();
        List<NodeUpdate> results = new ArrayList<>();
        List<Failure> failures = new ArrayList<>();
        Map<String, RoundReport.NodeReport> reports = new TreeMap<>();
        for (NodeRoundPlan plan : plans) {
            SimNode<D> node = byId.get(plan.nodeId());
            if (node == null) {
                throw new IllegalArgumentException("round " + round + " plans unknown node " + plan.nodeId());
            }
            NodeAssignment assignment = engine.assign(round, plan, global);
            sent.add(assignment);
            double setupSeconds = setup.getOrDefault(node.id(), 0.0) / node.emulation().computeScale();
            long memory = planned.memoryBytes().getOrDefault(node.id(), -1L);
            try {
                LocalResult r = local.run(assignment, node.data());
                results.add(r.update());
                double t = setupSeconds + VirtualClock.nodeSeconds(r.computeSeconds(), assignment.bytes(), r.bytes(),
                        node.emulation());
                reports.put(node.id(), new RoundReport.NodeReport(assignment.bytes(), r.bytes(), r.computeSeconds(), t,
                        r.lastLoss(), plan, r.bytes() / 4, setupSeconds, memory, r.validation()));
            } catch (RuntimeException e) {
                failures.add(new Failure(node.id(), e.toString()));
                reports.put(node.id(), new RoundReport.NodeReport(assignment.bytes(), 0, 0, 0, Double.NaN, plan, 0,
                        setupSeconds, memory, LocalEvaluation.NONE));
            }
        }
        return new RoundStep(engine.aggregate(sent, results, failures, global), reports);
    }
}
