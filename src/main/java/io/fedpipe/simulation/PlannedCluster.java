package io.fedpipe.simulation;

import io.fedpipe.round.NodeRoundPlan;
import io.fedpipe.core.MatrixId;
import io.fedpipe.aggregation.MatrixShape;
import io.fedpipe.job.JobSpec;
import io.fedpipe.planning.DevicePreset;
import io.fedpipe.planning.MemoryModel;
import io.fedpipe.planning.ModelShape;
import io.fedpipe.planning.NodeSpec;
import io.fedpipe.planning.Plan;
import io.fedpipe.planning.Planner;
import io.fedpipe.planning.PlanningPolicy;
import io.fedpipe.quant.QuantFormat;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Set;
import java.util.TreeSet;

/**
 * FedPipe's planner in the simulation loop: turns an experiment's nodes (compute scale, links,
 * memory budget, data size) into {@link NodeSpec}s of this machine's device preset, plans them
 * ({@link Planner}) for the selected matrices, and hands each node its row as a
 * {@link NodeRoundPlan}. The planner's rank is one per node, applied to every selected matrix.
 */
public final class PlannedCluster {

    /** Stands for "no limit" where the planner needs a finite budget or link (1 PB, 1 Pbit/s). */
    private static final double UNLIMITED = 1e15;

    private final ModelShape shape;
    private final JobSpec.PlannerChoices spec;
    private final int seq;
    private final List<NodeSpec> nodes;

    /**
     * @param shape     the model's shape
     * @param spec      the planner block of the experiment
     * @param seq       tokens per example the nodes train with
     * @param nodes     the experiment's nodes
     * @param dataSizes training examples per node, in node order
     */
    public PlannedCluster(ModelShape shape, JobSpec.PlannerChoices spec, int seq, List<SimulatedNode> nodes,
            List<Integer> dataSizes) {
        if (nodes.size() != dataSizes.size()) {
            throw new IllegalArgumentException(nodes.size() + " nodes but " + dataSizes.size() + " data sizes");
        }
        this.shape = shape;
        this.spec = spec;
        this.seq = seq;
        DevicePreset device = DevicePreset.preset(spec.device());
        List<NodeSpec> specs = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            SimulatedNode n = nodes.get(i);
            long memory = (long) Math.min(UNLIMITED, n.memoryMb() * 1e6);
            specs.add(new NodeSpec(n.name(), device, memory, n.computeScale(), Math.min(UNLIMITED, n.uplinkMbps()),
                    Math.min(UNLIMITED, n.downlinkMbps()), dataSizes.get(i)));
        }
        this.nodes = List.copyOf(specs);
    }

    /** The plan when {@code selected} matrices carry adapters (excluding nothing: a node that fits nothing fails). */
    public Plan plan(Collection<MatrixId> selected) {
        Set<String> all = new TreeSet<>();
        nodes.forEach(n -> all.add(n.name()));
        return plan(selected, all, Map.of());
    }

    /**
     * The plan over the nodes in {@code nodeIds} only, each {@code slowdowns} times slower than its
     * compute scale says (the round loop's re-plan after a node left or ran slow).
     */
    public Plan plan(Collection<MatrixId> selected, Set<String> nodeIds, Map<String, Double> slowdowns) {
        List<NodeSpec> chosen = new ArrayList<>();
        for (NodeSpec n : nodes) {
            if (nodeIds.contains(n.name())) {
                double slowdown = slowdowns.getOrDefault(n.name(), 1.0);
                chosen.add(new NodeSpec(n.name(), n.device(), n.memoryBytes(), n.computeScale() / slowdown,
                        n.uplinkMbps(), n.downlinkMbps(), n.dataSize()));
            }
        }
        PlanningPolicy policy = PlanningPolicy.defaults(seq)
                .withChoices(spec.quantFormats(), spec.batches(), spec.ranks(), spec.minSteps(), spec.maxSteps())
                .withObjective(spec.idleTolerance(), spec.workWeight(), spec.roundStretch())
                .withMatrices(new TreeSet<>(selected));
        return Planner.plan(shape, chosen, policy);
    }

    /** The plan's rows as round plans: the node's rank on every selected matrix. */
    public static List<NodeRoundPlan> roundPlans(Plan plan, Collection<MatrixId> selected) {
        List<NodeRoundPlan> out = new ArrayList<>();
        for (Plan.NodePlan n : plan.nodes()) {
            Map<MatrixId, Integer> ranks = new TreeMap<>();
            for (MatrixId id : selected) {
                Integer r = n.ranks().get(id.target().key());
                if (r == null) {
                    throw new IllegalStateException("plan of " + n.node() + " has no rank for " + id.target());
                }
                ranks.put(id, r);
            }
            out.add(new NodeRoundPlan(n.node(), ranks, n.steps(), n.batch(), n.bits().configName()));
        }
        return out;
    }

    /**
     * Modelled peak training memory of a round plan ({@link MemoryModel}: base in the plan's format,
     * adapters with AdamW state, activations of its batch; a plan without ranks is full fine-tuning),
     * for plans the planner did not make.
     */
    public static long modelledMemory(ModelShape shape, DevicePreset device, int seq, NodeRoundPlan plan,
            Map<MatrixId, MatrixShape> shapes) {
        if (plan.ranks().isEmpty()) {
            return MemoryModel.fullFineTune(shape, plan.batchSize(), seq).total();
        }
        long adapterParameters = 0;
        for (Map.Entry<MatrixId, Integer> e : plan.ranks().entrySet()) {
            MatrixShape m = shapes.get(e.getKey());
            adapterParameters += (long) e.getValue() * (m.out() + m.in());
        }
        return MemoryModel.of(shape, device, QuantFormat.parse(plan.bits()), plan.batchSize(), seq, adapterParameters)
                .total();
    }
}
