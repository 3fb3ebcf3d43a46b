package io.fedpipe.simulation;

import io.fedpipe.round.GlobalModel;
import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.RoundLoop;
import io.fedpipe.round.LocalRound;
import io.fedpipe.round.NodeRoundPlan;
import io.fedpipe.round.RoundEngine;
import io.fedpipe.local.FullFineTuneLocalRound;
import io.fedpipe.local.ClassifierLocalRound;
import io.fedpipe.local.ClassifierImportance;
import io.fedpipe.local.AdaptedClassifiers;
import ai.djl.ndarray.NDManager;
import io.fedpipe.job.JobSpec;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.data.ClassificationTasks;
import io.fedpipe.data.DatasetSplits;
import io.fedpipe.importance.ImportanceSelection;
import io.fedpipe.core.MatrixId;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.planning.DevicePreset;
import io.fedpipe.planning.ModelShape;
import io.fedpipe.planning.Plan;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.tokenize.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Set;

/**
 * Runs one {@link Experiment} through the {@link InProcessSimulator}: loads the task (limited
 * as the spec says), splits the training set over the nodes with the spec's partitioner, and runs
 * the rounds. Without a planner every node keeps the fixed plan of the file. With one (FedPipe),
 * before the first round (and every {@code refresh-every} rounds) each node probes importance on
 * its data, the scores are combined into the selected matrices, and the {@link PlannedCluster}
 * plans bits, batch, rank and steps for them; the probe's compute counts in that round's time.
 * Strategy {@code fedavg-full} runs {@link FullFineTuneLocalRound} on every node; the others run
 * {@link ClassifierLocalRound}.
 */
public final class ExperimentRunner {

    /**
     * The reports, the per-node training set sizes the partition produced (in node order), and the
     * planner's plans with the matrices they selected (empty without a planner).
     */
    public record Result(List<RoundReport> reports, List<Integer> nodeExamples, int validationExamples, int classes,
            List<PlanRecord> plans, GenerationOutcome generation) {}

    /**
     * A causal-LM job's final decoding of the test prompts with the merged global model, and the
     * base model's (no fine-tuning) on the same prompts, for the report.
     *
     * @param examples a few test prompts with the base's and the fine-tuned model's outputs
     */
    public record GenerationOutcome(int prompts, io.fedpipe.eval.GenerationScores base,
            io.fedpipe.eval.GenerationScores tuned, List<Example> examples, double decodeSeconds) {}

    /** One test prompt: what the base model said, what the fine-tuned model says, and the first reference. */
    public record Example(String prompt, String before, String after, String reference) {}

    /** A plan the planner made before round {@code beforeRound} (1..n), for the {@code selected} matrices. */
    public record PlanRecord(int beforeRound, Plan plan, List<MatrixId> selected) {}

    private ExperimentRunner() {}

    public static Result run(Experiment experiment, NDManager manager) throws IOException {
        return run(experiment, manager, r -> { });
    }

    /** As above, telling {@code progress} about each round's report as soon as it is made. */
    public static Result run(Experiment experiment, NDManager manager,
            java.util.function.Consumer<RoundReport> progress) throws IOException {
        JobSpec spec = experiment.job();
        TransformerWeights weights = PretrainedModels.load(spec.model());
        if (weights.config().causal()) {
            return DecoderExperiment.run(experiment, weights, manager, progress);
        }
        DatasetSplits splits = ClassificationTasks.load(spec.task(), spec.seed());
        ClassificationDataset train = limit(splits.train(), spec.limitTrain());
        ClassificationDataset validation = limit(splits.validation(), spec.limitValidation());
        List<SimulatedNode> specNodes = experiment.nodes();
        List<int[]> parts = spec.data().partitioner().partition(train.labelIndices(), train.numLabels(),
                specNodes.size(), spec.seed());
        List<InProcessSimulator.SimNode<ClassificationDataset>> nodes = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < specNodes.size(); i++) {
            SimulatedNode n = specNodes.get(i);
            nodes.add(new InProcessSimulator.SimNode<>(n.name(), train.subset(parts.get(i)), n.emulation()));
            sizes.add(parts.get(i).length);
        }
        try (TextTokenizer tokenizer = tokenizer(spec)) {
            AdaptedClassifiers models = new AdaptedClassifiers(weights, tokenizer, train.numLabels(), spec.alpha(),
                    spec.seed());
            var shapes = models.shapes(spec.loraTargets());
            Set<MatrixId> matrices = shapes.keySet();
            RoundEngine engine = new RoundEngine(spec.strategyKind().create(), spec.alpha(), shapes);
            LocalRound<ClassificationDataset> local = spec.strategyKind().fullWeights()
                    ? new FullFineTuneLocalRound(models, manager, spec.lr(), spec.warmup())
                    : new ClassifierLocalRound(models, manager, spec.lr(), spec.warmup());
            InProcessSimulator<ClassificationDataset> simulator = InProcessSimulator.forClassifier(engine, local,
                    models, nodes, validation);
            List<PlanRecord> planRecords = new ArrayList<>();
            JobSpec.ImportanceStage importance = spec.importance();
            SimulatedJob.Planning planning = planning(experiment, weights, sizes, shapes, planRecords,
                    (id, bits, batch, seed) -> ClassifierImportance.probe(models, manager, id, dataOf(nodes, id),
                            matrices, simulator.global().dense(), bits, importance.probeRank(),
                            importance.probeSteps(), batch, spec.lr(), seed));
            int refreshEvery = spec.importance() == null ? 0 : spec.importance().refreshEvery();
            List<RoundReport> reports = simulator.run(RoundLoop.Policy.of(spec.rounds(), refreshEvery), spec.maxSeconds(),
                    planning, manager, progress);
            return new Result(reports, sizes, validation.size(), train.numLabels(), planRecords, null);
        }
    }

    /**
     * The job's planning: the nodes' fixed plans (checked against their memory up front) without a
     * planner; FedPipe's probe, selection and MILP plan with one.
     */
    static SimulatedJob.Planning planning(Experiment experiment, TransformerWeights weights, List<Integer> sizes,
            Map<MatrixId, io.fedpipe.aggregation.MatrixShape> shapes, List<PlanRecord> planRecords, NodeProbe probe) {
        JobSpec spec = experiment.job();
        List<SimulatedNode> specNodes = experiment.nodes();
        Set<MatrixId> matrices = shapes.keySet();
        ModelShape modelShape = ModelShape.of(spec.model(), weights.config());
        if (spec.planner() != null) {
            PlannedCluster cluster = new PlannedCluster(modelShape, spec.planner(), spec.maxLength(), specNodes, sizes);
            return new FedPipePlanning(spec, specNodes.stream().map(SimulatedNode::name).toList(),
                    List.copyOf(matrices), cluster, planRecords, probe);
        }
        List<NodeRoundPlan> plans = specNodes.stream().map(n -> n.plan(matrices)).toList();
        DevicePreset device = DevicePreset.preset("cpu-2core");
        Map<String, Long> memory = new TreeMap<>();
        for (int i = 0; i < plans.size(); i++) {
            NodeRoundPlan p = plans.get(i);
            long bytes = PlannedCluster.modelledMemory(modelShape, device, spec.maxLength(), p, shapes);
            double budget = specNodes.get(i).memoryMb() * 1e6;
            if (bytes > budget) {
                // A node refuses a plan that does not fit (DESIGN §5); a fixed plan is checked up front.
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "node %s: its plan"
                        + " (%s base, batch %d) needs %.1f MB (modelled), more than its memory-mb %.1f",
                        p.nodeId(), p.bits(), p.batchSize(), bytes / 1e6, budget / 1e6));
            }
            memory.put(p.nodeId(), bytes);
        }
        SimulatedJob.RoundPlans fixed = new SimulatedJob.RoundPlans(plans, memory, Map.of());
        return (round, nodeIds, slowdowns) -> fixed;
    }

    /** One node's importance probe before round {@code beforeRound}, with its plan's base format and batch. */
    @FunctionalInterface
    interface NodeProbe {
        ClassifierImportance.Scores probe(String nodeId, String bits, int batch, long seed);
    }

    /**
     * FedPipe's stages 1 and 2 as the round loop asks for them: probe importance on every node (before
     * round 1, and again when the loop refreshes it), select, and plan the selected matrices over the
     * nodes the loop names, each scaled down by the slowdown it proved. The probe itself is the task's
     * ({@link ClassifierImportance} or {@code CausalLmImportance}).
     */
    static final class FedPipePlanning implements SimulatedJob.Planning {
        private final JobSpec spec;
        private final List<String> nodes;
        private final List<MatrixId> candidates;
        private final PlannedCluster cluster;
        private final List<PlanRecord> records;
        private final NodeProbe prober;
        private List<MatrixId> selected;

        FedPipePlanning(JobSpec spec, List<String> nodes, List<MatrixId> candidates, PlannedCluster cluster,
                List<PlanRecord> records, NodeProbe prober) {
            this.spec = spec;
            this.nodes = List.copyOf(nodes);
            this.candidates = candidates;
            this.cluster = cluster;
            this.records = records;
            this.prober = prober;
            this.selected = candidates;
        }

        @Override
        public Map<String, Double> probe(int beforeRound, Set<String> nodeIds) {
            JobSpec.ImportanceStage importance = spec.importance();
            if (importance == null) {
                return Map.of();
            }
            // Each node probes as it would train every candidate: the bits and batch of a plan for all of them.
            Plan all = cluster.plan(candidates);
            List<ClassifierImportance.Scores> scores = new ArrayList<>();
            Map<String, Double> setup = new TreeMap<>();
            // Seeded as the round it precedes is: before round 1, the job's seed as every trainer probes.
            int seedIndex = NodeAssignment.seedIndex(beforeRound);
            for (String id : nodes) {
                if (!nodeIds.contains(id)) {
                    continue;
                }
                Plan.NodePlan p = all.node(id);
                ClassifierImportance.Scores s = prober.probe(id, p.bits().configName(), p.batch(),
                        spec.seed() + seedIndex);
                scores.add(s);
                setup.put(id, s.computeSeconds());
            }
            selected = select(scores, importance.matrices());
            return setup;
        }

        @Override
        public SimulatedJob.RoundPlans plan(int beforeRound, Set<String> nodeIds, Map<String, Double> slowdowns) {
            Plan plan;
            try {
                plan = cluster.plan(selected, nodeIds, slowdowns);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            records.add(new PlanRecord(beforeRound, plan, List.copyOf(selected)));
            Map<String, Long> memory = new TreeMap<>();
            Map<String, Double> planned = new TreeMap<>();
            for (Plan.NodePlan n : plan.nodes()) {
                memory.put(n.node(), n.memory().total());
                planned.put(n.node(), n.finishSeconds());
            }
            return new SimulatedJob.RoundPlans(PlannedCluster.roundPlans(plan, selected), memory, planned);
        }
    }

    /** Scores of all nodes combined (weighted by data size) into the {@code budget} best matrices, in id order. */
    static List<MatrixId> select(List<ClassifierImportance.Scores> scores, int budget) {
        List<ImportanceSelection.NodeScores> nodes = scores.stream()
                .map(s -> new ImportanceSelection.NodeScores(s.nodeId(), s.dataSize(), s.scores())).toList();
        return new ArrayList<>(new java.util.TreeSet<>(
                ImportanceSelection.select(nodes, new ImportanceSelection.Budget.Matrices(budget)).selectedIds()));
    }

    static <D> D dataOf(List<InProcessSimulator.SimNode<D>> nodes, String id) {
        return nodes.stream().filter(n -> n.id().equals(id)).findFirst().orElseThrow().data();
    }

    private static ClassificationDataset limit(ClassificationDataset data, int max) {
        return max > 0 ? data.head(max) : data;
    }

    /** The model directory's own tokenizer.json, or MiniLM's for the built-in model. */
    private static TextTokenizer tokenizer(JobSpec spec) throws IOException {
        if (PretrainedModels.isDirectory(spec.model())) {
            Path file = Path.of(spec.model()).resolve("tokenizer.json");
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("model directory " + spec.model() + " has no tokenizer.json");
            }
            return TextTokenizer.fromFile(file, spec.maxLength(), TextTokenizer.Overflow.TRUNCATE);
        }
        return TextTokenizer.miniLm(spec.maxLength(), TextTokenizer.Overflow.TRUNCATE);
    }
}
