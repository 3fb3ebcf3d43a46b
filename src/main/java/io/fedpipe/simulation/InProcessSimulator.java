package io.fedpipe.simulation;

import io.fedpipe.round.Emulation;
import io.fedpipe.round.VirtualClock;
import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.LocalResult;
import io.fedpipe.round.GlobalModel;
import io.fedpipe.round.LocalRound;
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
public final class InProcessSimulator {

    /** A simulated node: its id, private data and emulated resources. */
    public record SimNode(String id, ClassificationDataset data, Emulation emulation) {}

    /**
     * Decides each round's plans from the global model so far; may do work first (FedPipe's
     * importance probe), whose measured seconds per node it returns to be emulated.
     */
    @FunctionalInterface
    public interface RoundPlanning {
        Planned plan(int round, GlobalModel global);
    }

    /**
     * @param plans          one plan per participating node
     * @param setupSeconds   measured compute seconds per node spent deciding them (absent: none)
     * @param memoryBytes    modelled peak training memory per node for its plan (absent: unknown);
     *                       one process cannot measure each simulated node's peak, as the nodes share
     *                       its allocator
     */
    public record Planned(List<NodeRoundPlan> plans, Map<String, Double> setupSeconds, Map<String, Long> memoryBytes) {
        public Planned {
            plans = List.copyOf(plans);
            setupSeconds = Map.copyOf(setupSeconds);
            memoryBytes = Map.copyOf(memoryBytes);
        }
    }

    private final RoundEngine engine;
    private final LocalRound local;
    private final AdaptedClassifiers models;
    private final List<SimNode> nodes;
    private final ClassificationDataset validation;

    public InProcessSimulator(RoundEngine engine, LocalRound local, AdaptedClassifiers models, List<SimNode> nodes,
            ClassificationDataset validation) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a simulation needs at least one node");
        }
        this.engine = engine;
        this.local = local;
        this.models = models;
        this.nodes = List.copyOf(nodes);
        this.validation = validation;
    }

    /**
     * Runs {@code rounds} rounds from a fresh head and no adapters.
     *
     * @param plans the plan of each round (called once per round, so it may re-plan), one entry per node
     * @return round 0 (the untrained start) and one report per round
     */
    public List<RoundReport> run(int rounds, IntFunction<List<NodeRoundPlan>> plans, NDManager manager) {
        return run(rounds, (round, global) -> new Planned(plans.apply(round), Map.of(), Map.of()), manager);
    }

    /** Runs {@code rounds} rounds, asking {@code planning} for each round's plans. */
    public List<RoundReport> run(int rounds, RoundPlanning planning, NDManager manager) {
        return run(rounds, Double.POSITIVE_INFINITY, planning, manager);
    }

    /**
     * Runs at most {@code rounds} rounds, and no round after the emulated clock reached
     * {@code maxEmulatedSeconds}: methods compared at equal (emulated) time rather than equal rounds.
     */
    public List<RoundReport> run(int rounds, double maxEmulatedSeconds, RoundPlanning planning, NDManager manager) {
        return run(rounds, maxEmulatedSeconds, planning, manager, r -> { });
    }

    /** As above, telling {@code progress} about each report as soon as it is made (round 0 included). */
    public List<RoundReport> run(int rounds, double maxEmulatedSeconds, RoundPlanning planning, NDManager manager,
            Consumer<RoundReport> progress) {
        if (!(maxEmulatedSeconds > 0)) {
            throw new IllegalArgumentException("the emulated time limit must be positive: " + maxEmulatedSeconds);
        }
        GlobalModel global = GlobalModel.initial(models.initialHead());
        VirtualClock clock = new VirtualClock();
        List<RoundReport> reports = new ArrayList<>();
        ClassificationMetrics start = models.evaluate(manager, global, validation);
        reports.add(new RoundReport(0, start.accuracy(), start.macroF1(), 0, 0, Map.of(), List.of(), List.of()));
        progress.accept(reports.get(0));
        for (int round = 0; round < rounds && clock.elapsed() < maxEmulatedSeconds; round++) {
            Planned planned = planning.plan(round, global);
            RoundStep step = runRound(round, engine.configure(round, planned.plans()), planned, global);
            global = step.outcome.global();
            double roundSeconds = step.nodes.values().stream().filter(n -> n.bytesUp() > 0)
                    .mapToDouble(RoundReport.NodeReport::emulatedSeconds).max().orElse(0);
            double elapsed = clock.advance(roundSeconds);
            ClassificationMetrics m = models.evaluate(manager, global, validation);
            reports.add(new RoundReport(round + 1, m.accuracy(), m.macroF1(), roundSeconds, elapsed, step.nodes,
                    step.outcome.result().rejected(), step.outcome.result().failures()));
            progress.accept(reports.get(reports.size() - 1));
        }
        return reports;
    }

    private record RoundStep(RoundEngine.Outcome outcome, Map<String, RoundReport.NodeReport> nodes) {}

    private RoundStep runRound(int round, List<NodeRoundPlan> plans, Planned planned, GlobalModel global) {
        Map<String, SimNode> byId = new LinkedHashMap<>();
        nodes.forEach(n -> byId.put(n.id(), n));
        List<NodeAssignment> sent = new ArrayList<>();
        List<NodeUpdate> results = new ArrayList<>();
        List<Failure> failures = new ArrayList<>();
        Map<String, RoundReport.NodeReport> reports = new TreeMap<>();
        for (NodeRoundPlan plan : plans) {
            SimNode node = byId.get(plan.nodeId());
            if (node == null) {
                throw new IllegalArgumentException("round " + round + " plans unknown node " + plan.nodeId());
            }
            NodeAssignment assignment = engine.assign(round, plan, global);
            sent.add(assignment);
            double setupSeconds = planned.setupSeconds().getOrDefault(node.id(), 0.0) / node.emulation().computeScale();
            long memory = planned.memoryBytes().getOrDefault(node.id(), -1L);
            try {
                LocalResult r = local.run(assignment, node.data());
                results.add(r.update());
                double t = setupSeconds + VirtualClock.nodeSeconds(r.computeSeconds(), assignment.bytes(), r.bytes(),
                        node.emulation());
                reports.put(node.id(), new RoundReport.NodeReport(assignment.bytes(), r.bytes(), r.computeSeconds(), t,
                        r.lastLoss(), plan, r.bytes() / 4, setupSeconds, memory));
            } catch (RuntimeException e) {
                failures.add(new Failure(node.id(), e.toString()));
                reports.put(node.id(), new RoundReport.NodeReport(assignment.bytes(), 0, 0, 0, Double.NaN, plan, 0,
                        setupSeconds, memory));
            }
        }
        return new RoundStep(engine.aggregate(sent, results, failures, global), reports);
    }
}
