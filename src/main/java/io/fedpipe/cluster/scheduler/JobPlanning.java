package io.fedpipe.cluster.scheduler;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.cluster.scheduler.SchedulerEvent.LeftOut;
import io.fedpipe.cluster.scheduler.SchedulerEvent.PlannedNode;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.importance.ImportanceSelection;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.hf.HfConfigs;
import io.fedpipe.planning.DevicePreset;
import io.fedpipe.planning.ModelShape;
import io.fedpipe.planning.NodeSpec;
import io.fedpipe.planning.Plan;
import io.fedpipe.planning.Planner;
import io.fedpipe.planning.PlanningPolicy;
import io.fedpipe.profile.MeasuredDevice;
import io.fedpipe.quant.QuantFormat;
import io.fedpipe.round.NodeRoundPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The scheduler's brain as pure functions: which matrices a job adapts (importance), and the
 * per-node plan (the {@link Planner}) for the nodes that prepared it. Nodes are described to the
 * planner as {@code PlannedCluster} does for a simulation: one device preset (this machine's
 * {@code cpu-2core} by default), or the node's own measured device when it registered with a
 * profile, scaled by each node's compute scale, its memory budget, links and data size; a node
 * that proved slower than declared is scaled down by its measured slowdown.
 */
public final class JobPlanning {

    private JobPlanning() {}

    /** A node as the planner needs it. */
    public record NodeInput(NodeProfile profile, double slowdown, long dataSize) {}

    /** A plan in the form the scheduler journals. */
    public record Result(double roundSeconds, List<PlannedNode> rows, List<LeftOut> excluded) {}

    /** The model's shape: a preset, or the config.json of a model directory (a built-in decoder's own). */
    public static ModelShape shape(String model) {
        if (model.equalsIgnoreCase(PretrainedModels.MINILM_L6)) {
            return ModelShape.preset(PretrainedModels.MINILM_L6);
        }
        Path dir = PretrainedModels.directoryOf(model).orElse(Path.of(model));
        return ModelShape.of(dir.getFileName().toString(), config(dir));
    }

    /** Whether the job fine-tunes a decoder (a causal-LM job, scored by decoding at the end). */
    public static boolean isDecoder(JobSpec job) {
        return isDecoder(job.model());
    }

    /** Whether {@code model} (a built-in name or a model directory) is a decoder. */
    public static boolean isDecoder(String model) {
        if (model.equalsIgnoreCase(PretrainedModels.MINILM_L6)) {
            return false;
        }
        try {
            return config(PretrainedModels.directoryOf(model).orElse(Path.of(model))).causal();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static io.fedpipe.core.TransformerConfig config(Path dir) {
        Path config = dir.resolve("config.json");
        try {
            return HfConfigs.fromJson(new ObjectMapper().readTree(Files.readAllBytes(config)), config.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model config " + config + ": " + e.getMessage(), e);
        }
    }

    public static Set<LoraTarget> targets(JobSpec job) {
        Set<LoraTarget> out = EnumSet.noneOf(LoraTarget.class);
        job.targets().forEach(t -> out.add(LoraTarget.parse(t)));
        return out;
    }

    /** Every candidate matrix of the job: its targets in every layer. */
    public static List<MatrixId> candidates(JobSpec job) {
        return shape(job.model()).allMatrices(targets(job));
    }

    public static String key(MatrixId id) {
        return id.toString();
    }

    /** The inverse of {@link MatrixId#toString()}: {@code 3.q}. */
    public static MatrixId parse(String key) {
        int dot = key.indexOf('.');
        if (dot < 1) {
            throw new IllegalArgumentException("not a matrix id (layer.target): '" + key + "'");
        }
        return new MatrixId(Integer.parseInt(key.substring(0, dot)), LoraTarget.parse(key.substring(dot + 1)));
    }

    public static Map<String, Double> keyed(Map<MatrixId, Double> scores) {
        Map<String, Double> out = new TreeMap<>();
        scores.forEach((id, s) -> out.put(key(id), s));
        return out;
    }

    /**
     * The matrices that get adapters: the job's budget of the most important ones (combined over
     * the nodes' probes, weighted by data size: {@link ImportanceSelection}), or every candidate
     * when the job asks for no probe or no node returned scores.
     */
    public static List<String> select(JobSpec job, Map<String, SchedulerState.Prepared> prepared) {
        List<ImportanceSelection.NodeScores> scores = new ArrayList<>();
        new TreeMap<>(prepared).forEach((node, p) -> {
            if (!p.importance().isEmpty() && p.importance().values().stream().mapToDouble(Double::doubleValue).sum() > 0) {
                Map<MatrixId, Double> s = new TreeMap<>();
                p.importance().forEach((k, v) -> s.put(parse(k), v));
                scores.add(new ImportanceSelection.NodeScores(node, Math.max(1, p.trainExamples()), s));
            }
        });
        if (job.importanceMatrices() == 0 || scores.isEmpty()) {
            return candidates(job).stream().map(JobPlanning::key).toList();
        }
        ImportanceSelection.Result r = ImportanceSelection.select(scores,
                new ImportanceSelection.Budget.Matrices(job.importanceMatrices()));
        return r.selectedIds().stream().map(JobPlanning::key).toList();
    }

    /** The job's planning policy over {@code selected}; a node that fits nothing is left out with its reason. */
    public static PlanningPolicy policy(JobSpec job, List<String> selected) {
        List<QuantFormat> formats = job.formats().stream().map(QuantFormat::parse).toList();
        PlanningPolicy p = PlanningPolicy.defaults(job.maxLength()).withTargets(targets(job))
                .withChoices(formats, job.batches(), job.ranks(), job.minSteps(), job.maxSteps())
                .withNoFit(PlanningPolicy.NoFit.EXCLUDE);
        Set<MatrixId> ids = new TreeSet<>();
        selected.forEach(k -> ids.add(parse(k)));
        return ids.isEmpty() ? p : p.withMatrices(ids);
    }

    /**
     * Plans {@code nodes} (sorted by id for a deterministic plan); throws when no node can train. A
     * node with a measured profile is planned on its own fitted device, the others on {@code device}.
     */
    public static Result plan(JobSpec job, List<String> selected, List<NodeInput> nodes, String device) {
        DevicePreset preset = DevicePreset.preset(device);
        List<NodeSpec> specs = nodes.stream().sorted(Comparator.comparing(n -> n.profile().nodeId()))
                .map(n -> new NodeSpec(n.profile().nodeId(), device(n.profile(), preset), n.profile().memoryBytes(),
                        n.profile().computeScale() / n.slowdown(), n.profile().uplinkMbps(), n.profile().downlinkMbps(),
                        n.dataSize()))
                .toList();
        Plan plan = Planner.plan(shape(job.model()), specs, policy(job, selected));
        List<PlannedNode> rows = plan.nodes().stream().map(n -> new PlannedNode(n.node(), n.bits().configName(), n.batch(),
                n.ranks(), n.steps(), n.computeSeconds(), n.finishSeconds(), n.memory().total(), n.memoryBudget())).toList();
        List<LeftOut> excluded = plan.excluded().stream().map(e -> new LeftOut(e.node(), e.reason())).toList();
        return new Result(plan.roundSeconds(), rows, excluded);
    }

    /** The node's measured device ({@link MeasuredDevice}), or {@code preset} when it sent none. */
    static DevicePreset device(NodeProfile node, DevicePreset preset) {
        NodeProfile.Measured m = node.measured();
        if (m == null) {
            return preset;
        }
        Map<QuantFormat, Double> slowdown = new EnumMap<>(QuantFormat.class);
        m.slowdown().forEach((bits, s) -> slowdown.put(QuantFormat.parse(bits), s));
        return MeasuredDevice.preset("measured:" + node.nodeId(), node.memoryBytes(), m.fp32Tflops(),
                m.halfUtilizationTokens(), slowdown);
    }

    /** The plan's rows as the data plane's round plans: each node's rank on every selected matrix. */
    public static List<NodeRoundPlan> roundPlans(List<PlannedNode> rows, List<String> selected) {
        List<NodeRoundPlan> out = new ArrayList<>();
        for (PlannedNode r : rows) {
            Map<MatrixId, Integer> ranks = new TreeMap<>();
            for (String k : selected) {
                MatrixId id = parse(k);
                Integer rank = r.ranks().get(id.target().key());
                if (rank != null) {
                    ranks.put(id, rank);
                }
            }
            out.add(new NodeRoundPlan(r.nodeId(), ranks, r.steps(), r.batch(), r.bits()));
        }
        return out;
    }

    /** The smallest settings: for a probe when nothing fits at all, and in a PrepareJob that asks for no probe. */
    public static Probe smallest(JobSpec job) {
        return new Probe(job.formats().get(job.formats().size() - 1), job.batches().get(0));
    }

    /** Base format and batch of each node's probe: its row in a plan over every candidate. */
    public record Probe(String bits, int batch) {}

    public static Map<String, Probe> probeSettings(JobSpec job, List<NodeInput> nodes, String device) {
        Map<String, Probe> out = new TreeMap<>();
        Probe fallback = smallest(job);
        try {
            Result r = plan(job, List.of(), nodes, device);
            r.rows().forEach(row -> out.put(row.nodeId(), new Probe(row.bits(), row.batch())));
        } catch (RuntimeException e) {
            // Nothing fits at all: probe at the smallest settings; the real plan will say why.
        }
        nodes.forEach(n -> out.putIfAbsent(n.profile().nodeId(), fallback));
        return out;
    }
}
