package io.fedpipe.simulation;

import io.fedpipe.aggregation.AggregationResult;
import io.fedpipe.aggregation.AggregationStrategy;
import io.fedpipe.aggregation.Failure;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.aggregation.RoundConfig;
import io.fedpipe.aggregation.RoundContext;
import io.fedpipe.aggregation.StrategyKind;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.data.ClassificationTasks;
import io.fedpipe.data.DatasetSplits;
import io.fedpipe.data.Partitioner;
import io.fedpipe.local.ClassifierLocalRound;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.round.Emulation;
import io.fedpipe.round.LocalRound;
import io.fedpipe.round.NodeRoundPlan;
import io.fedpipe.round.RoundEngine;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The reference run of a LoRA classification job in the in-process simulator, set up as
 * ExperimentRunner sets up a run without a planner: the task's seeded split (optionally its first
 * examples), an IID partition into shards, one {@link InProcessSimulator.SimNode} per node on its
 * shard, {@link MiniLmClassifiers}, a {@link RoundEngine} with the strategy, alpha and target
 * matrices, a {@link ClassifierLocalRound}, then the rounds on the given plans. The cluster tests
 * compare their global adapters and head with {@link Result#last()}: same seed, same split, same
 * order of construction as the cluster's trainers and aggregators, so only the order of float
 * sums may differ (the tests allow 1e-5).
 *
 * <pre>{@code
 * ReferenceSimulation.of("wordnet-topics", 7).limits(120, 40).nodes(List.of("node-1", "node-2"))
 *         .alpha(8).lr(5e-3f).warmup(1).maxLength(16).run(2, plans);
 * }</pre>
 */
public final class ReferenceSimulation {

    private record Node(String id, int shard, Emulation emulation) {}

    /** What the simulator reported per round (round 0 first: the untrained model) and the last aggregation. */
    public record Result(List<RoundReport> reports, AggregationResult last) {}

    private final String task;
    private final long seed;
    private int limitTrain = -1;
    private int limitValidation = -1;
    private int shards;
    private final List<Node> nodes = new ArrayList<>();
    /** What a job with {@code strategy = fedpipe} runs, so cluster tests compare like with like. */
    private AggregationStrategy strategy = StrategyKind.FEDPIPE.create();
    private Set<LoraTarget> targets = EnumSet.of(LoraTarget.Q, LoraTarget.V);
    private String model = PretrainedModels.MINILM_L6;
    private float alpha = 8;
    private float lr = 5e-3f;
    private int warmup = 1;
    private int maxLength = 16;
    private Long modelSeed;
    private UnaryOperator<LocalRound<ClassificationDataset>> around = UnaryOperator.identity();

    private ReferenceSimulation(String task, long seed) {
        this.task = task;
        this.seed = seed;
    }

    /** {@code task} as {@link ClassificationTasks#load} names it; {@code seed} for the split, the partition and the head. */
    public static ReferenceSimulation of(String task, long seed) {
        return new ReferenceSimulation(task, seed);
    }

    /** Only the first {@code train} training and {@code validation} validation examples of the split. */
    public ReferenceSimulation limits(int train, int validation) {
        this.limitTrain = train;
        this.limitValidation = validation;
        return this;
    }

    /** One node per id, node i on shard i of {@code ids.size()}, no emulated slowness. */
    public ReferenceSimulation nodes(List<String> ids) {
        shards(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            node(ids.get(i), i, Emulation.NONE);
        }
        return this;
    }

    /** The number of IID shards the training split is cut into. */
    public ReferenceSimulation shards(int shards) {
        this.shards = shards;
        return this;
    }

    /** A node training on {@code shard} (several nodes may share one), in the order nodes are added. */
    public ReferenceSimulation node(String id, int shard, Emulation emulation) {
        nodes.add(new Node(id, shard, emulation));
        return this;
    }

    public ReferenceSimulation strategy(AggregationStrategy strategy) {
        this.strategy = strategy;
        return this;
    }

    public ReferenceSimulation targets(Set<LoraTarget> targets) {
        this.targets = targets;
        return this;
    }

    /** A name {@link PretrainedModels#load} accepts; MiniLM-L6 unless set. */
    public ReferenceSimulation model(String model) {
        this.model = model;
        return this;
    }

    public ReferenceSimulation alpha(float alpha) {
        this.alpha = alpha;
        return this;
    }

    public ReferenceSimulation lr(float lr) {
        this.lr = lr;
        return this;
    }

    public ReferenceSimulation warmup(int warmup) {
        this.warmup = warmup;
        return this;
    }

    /** Tokens per example; longer texts are truncated. */
    public ReferenceSimulation maxLength(int maxLength) {
        this.maxLength = maxLength;
        return this;
    }

    /** The seed of the head's initialisation when it differs from the data's. */
    public ReferenceSimulation modelSeed(long modelSeed) {
        this.modelSeed = modelSeed;
        return this;
    }

    /** Wraps the honest local round, e.g. to let a node crash or deliver a poisoned update. */
    public ReferenceSimulation localRound(UnaryOperator<LocalRound<ClassificationDataset>> around) {
        this.around = around;
        return this;
    }

    /** Runs {@code rounds} rounds on {@code plans} (one per node, by node id). */
    public Result run(int rounds, List<NodeRoundPlan> plans) throws IOException {
        DatasetSplits splits = ClassificationTasks.load(task, seed);
        ClassificationDataset train = limitTrain < 0 ? splits.train() : splits.train().head(limitTrain);
        ClassificationDataset validation = limitValidation < 0 ? splits.validation()
                : splits.validation().head(limitValidation);
        List<int[]> parts = Partitioner.iid().partition(train.labelIndices(), train.numLabels(), shards, seed);
        List<InProcessSimulator.SimNode<ClassificationDataset>> simNodes = new ArrayList<>();
        for (Node n : nodes) {
            simNodes.add(new InProcessSimulator.SimNode<>(n.id(), train.subset(parts.get(n.shard())), n.emulation()));
        }
        Recorder recorder = new Recorder(strategy);
        try (MiniLmClassifiers c = MiniLmClassifiers.open(model, maxLength, train.numLabels(), alpha,
                modelSeed == null ? seed : modelSeed)) {
            RoundEngine engine = new RoundEngine(recorder, alpha, c.models().shapes(targets));
            LocalRound<ClassificationDataset> local = around.apply(new ClassifierLocalRound(c.models(), c.manager(), lr, warmup));
            List<RoundReport> reports = InProcessSimulator.forClassifier(engine, local, c.models(), simNodes, validation)
                    .run(rounds, plans, c.manager());
            return new Result(reports, recorder.last);
        }
    }

    /** The strategy that keeps the result of the last round, which the simulator does not return. */
    private static final class Recorder implements AggregationStrategy {
        private final AggregationStrategy inner;
        private AggregationResult last;

        Recorder(AggregationStrategy inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public RoundConfig configureRound(RoundConfig planned) {
            return inner.configureRound(planned);
        }

        @Override
        public AggregationResult aggregate(List<NodeUpdate> results, List<Failure> failures, RoundContext context) {
            last = inner.aggregate(results, failures, context);
            return last;
        }
    }
}
