package io.fedpipe.round;

import ai.djl.ndarray.NDManager;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.data.ClassificationTasks;
import io.fedpipe.data.DatasetSplits;
import io.fedpipe.lora.MatrixId;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.tokenize.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runs one {@link ExperimentSpec} through the {@link InProcessSimulator}: loads the task (limited
 * as the spec says), splits the training set over the nodes with the spec's partitioner, and runs
 * the rounds with the same fixed plan every round (the planner is not in the loop yet). Strategy
 * {@code fedavg-full} runs {@link FullFineTuneLocalRound} on every node; the others run
 * {@link ClassifierLocalRound}.
 */
public final class ExperimentRunner {

    /** The reports, and the per-node training set sizes the partition produced (in node order). */
    public record Result(List<RoundReport> reports, List<Integer> nodeExamples, int validationExamples, int classes) {}

    private ExperimentRunner() {}

    public static Result run(ExperimentSpec spec, NDManager manager) throws IOException {
        DatasetSplits splits = ClassificationTasks.load(spec.task(), spec.seed());
        ClassificationDataset train = limit(splits.train(), spec.limitTrain());
        ClassificationDataset validation = limit(splits.validation(), spec.limitValidation());
        List<ExperimentSpec.Node> specNodes = spec.nodes();
        List<int[]> parts = spec.partition().partitioner().partition(train.labelIndices(), train.numLabels(),
                specNodes.size(), spec.seed());
        List<InProcessSimulator.SimNode> nodes = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < specNodes.size(); i++) {
            ExperimentSpec.Node n = specNodes.get(i);
            nodes.add(new InProcessSimulator.SimNode(n.name(), train.subset(parts.get(i)), n.emulation()));
            sizes.add(parts.get(i).length);
        }
        TransformerWeights weights = PretrainedModels.load(spec.model());
        try (TextTokenizer tokenizer = tokenizer(spec)) {
            AdaptedClassifiers models = new AdaptedClassifiers(weights, tokenizer, train.numLabels(), spec.alpha(),
                    spec.seed());
            var shapes = models.shapes(spec.targets());
            Set<MatrixId> matrices = shapes.keySet();
            List<NodeRoundPlan> plans = specNodes.stream().map(n -> n.plan(matrices)).toList();
            RoundEngine engine = new RoundEngine(spec.strategy().create(), spec.alpha(), shapes);
            LocalRound local = spec.strategy().fullWeights()
                    ? new FullFineTuneLocalRound(models, manager, spec.lr(), spec.warmup())
                    : new ClassifierLocalRound(models, manager, spec.lr(), spec.warmup());
            List<RoundReport> reports = new InProcessSimulator(engine, local, models, nodes, validation)
                    .run(spec.rounds(), round -> plans, manager);
            return new Result(reports, sizes, validation.size(), train.numLabels());
        }
    }

    private static ClassificationDataset limit(ClassificationDataset data, int max) {
        return max > 0 ? data.head(max) : data;
    }

    /** The model directory's own tokenizer.json, or MiniLM's for the built-in model. */
    private static TextTokenizer tokenizer(ExperimentSpec spec) throws IOException {
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
