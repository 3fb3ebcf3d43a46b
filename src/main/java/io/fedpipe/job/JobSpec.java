package io.fedpipe.job;

import io.fedpipe.aggregation.StrategyKind;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.data.Partitioner;
import io.fedpipe.quant.QuantFormat;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One federated fine-tuning job: what to fine-tune on which data, how to aggregate, and the
 * planner's, the importance stage's and the round barrier's knobs. The same record describes a
 * cluster job (read from {@code jobs/*.conf} by the gateway, sent to the scheduler, aggregators
 * and trainers, persisted in the scheduler's journal) and the job part of a simulator experiment
 * ({@code experiments/*.conf}); {@link JobSpecReader} reads both with the same keys. It is plain
 * data (names, numbers, lists, small records) so that Kryo and Jackson carry it as is; the
 * accessors that are not components derive from them and are not serialized.
 *
 * @param jobId          unique job id (the gateway assigns it; a simulator run uses the file name)
 * @param model          {@code minilm-l6} or a Hugging Face directory (on every edge node of a cluster)
 * @param data           the task and how it is limited and split
 * @param strategy       aggregation strategy key ({@link StrategyKind#key()})
 * @param rounds         rounds to run
 * @param targets        candidate matrix kinds ({@link LoraTarget} keys, in target order)
 * @param alpha          LoRA α
 * @param lr             peak local learning rate
 * @param warmup         local warm-up steps
 * @param maxLength      tokens per example; longer ones are truncated
 * @param seed           seeds data split, initial head and adapters, batches
 * @param partitions     aggregator partitions (sharded entities {@code jobId/p}) the matrices are spread over
 * @param quorum         fraction of the round's planned nodes whose deltas close a round early, (0, 1]
 * @param roundTimeoutMs a round closes at this deadline with the deltas it has (if at least one)
 * @param planner        the planner's choices; null: no {@code planner} block (an experiment's nodes
 *                       then have fixed plans; a cluster plans with {@link PlannerChoices#DEFAULTS})
 * @param importance     the importance stage; null: every candidate matrix gets an adapter, no probe
 * @param maxSeconds     no round starts after this many emulated seconds (simulator); infinity: no limit
 * @param method         report label (default: the strategy key)
 * @param setting        report label (default: {@code default})
 * @param generation     how a causal-LM job's global model is decoded and scored (ignored by a classifier)
 */
public record JobSpec(String jobId, String model, Data data, String strategy, int rounds, List<String> targets,
        float alpha, float lr, int warmup, int maxLength, long seed, int partitions, double quorum,
        long roundTimeoutMs, PlannerChoices planner, ImportanceStage importance, double maxSeconds, String method,
        String setting, Generation generation) {

    /** A job with the default {@link Generation} settings. */
    public JobSpec(String jobId, String model, Data data, String strategy, int rounds, List<String> targets,
            float alpha, float lr, int warmup, int maxLength, long seed, int partitions, double quorum,
            long roundTimeoutMs, PlannerChoices planner, ImportanceStage importance, double maxSeconds, String method,
            String setting) {
        this(jobId, model, data, strategy, rounds, targets, alpha, lr, warmup, maxLength, seed, partitions, quorum,
                roundTimeoutMs, planner, importance, maxSeconds, method, setting, Generation.DEFAULTS);
    }

    /**
     * How a causal-LM job decodes: after every round the first {@code roundPrompts} test prompts
     * (greedy, a cheap learning curve), at the end {@code testPrompts} of them (0: all) with the
     * final decoding settings, scored with BLEU, NIST, METEOR, ROUGE-L and CIDEr.
     *
     * @param roundPrompts       test prompts decoded greedily after every round (0: none)
     * @param testPrompts        test prompts decoded at the end (0: every one)
     * @param beams              beam width of the final decoding (1: greedy)
     * @param lengthPenalty      beam search's length penalty
     * @param noRepeatNgram      no n-gram of this size repeats in a generation (0: off)
     * @param maxNewTokens       tokens generated at most per prompt
     */
    public record Generation(int roundPrompts, int testPrompts, int beams, float lengthPenalty, int noRepeatNgram,
            int maxNewTokens) {

        public static final Generation DEFAULTS = new Generation(50, 0, 1, 1f, 0, 64);

        public Generation {
            if (roundPrompts < 0 || testPrompts < 0 || beams < 1 || noRepeatNgram < 0 || maxNewTokens < 1
                    || !(lengthPenalty > 0)) {
                throw new IllegalArgumentException("generation settings need round-prompts >= 0, test-prompts >= 0,"
                        + " beams >= 1, no-repeat-ngram >= 0, max-new-tokens >= 1 and a positive length penalty");
            }
        }
    }

    /**
     * The task and its split over the nodes.
     *
     * @param task            {@code wordnet-topics} (built in), a dataset name (cluster: each trainer
     *                        reads {@code <data-dir>/<task>/train.jsonl}) or a directory (simulator)
     * @param limitTrain      at most this many training examples before partitioning (0: all)
     * @param limitValidation at most this many validation examples (0: all)
     * @param partitionKind   {@code iid} or {@code dirichlet}
     * @param dirichletAlpha  label-skew concentration for {@code dirichlet}; 0 for iid
     * @param by              generation tasks: the meaning-representation attribute whose value is an
     *                        example's "label" for {@code dirichlet} and {@code attribute} partitions (E2E:
     *                        {@code eatType}, {@code area}, {@code food}, ...); empty otherwise
     */
    public record Data(String task, int limitTrain, int limitValidation, String partitionKind, double dirichletAlpha,
            String by) {

        public Data {
            by = by == null ? "" : by;
        }

        /** Data without an attribute to partition by (classification: the label is the class). */
        public Data(String task, int limitTrain, int limitValidation, String partitionKind, double dirichletAlpha) {
            this(task, limitTrain, limitValidation, partitionKind, dirichletAlpha, "");
        }

        public Partitioner partitioner() {
            return switch (partitionKind) {
                case "iid" -> Partitioner.iid();
                case "attribute" -> Partitioner.byLabel();
                default -> Partitioner.dirichletLabelSkew(dirichletAlpha);
            };
        }

        /** {@code iid}, {@code dirichlet(α=0.5)} or {@code by food}, for tables. */
        public String partitionLabel() {
            String of = by.isEmpty() ? "" : " by " + by;
            return switch (partitionKind) {
                case "iid" -> "iid";
                case "attribute" -> "attribute" + of;
                default -> "dirichlet(α=" + dirichletAlpha + ")" + of;
            };
        }
    }

    /**
     * What the planner may choose from and how it weighs a plan (see
     * {@code io.fedpipe.planning.PlanningPolicy}).
     *
     * @param device        the device preset of a simulated node (scaled by its compute scale)
     * @param formats       base formats ({@link QuantFormat} config names), in the order given
     * @param batches       batch sizes, ascending
     * @param ranks         ranks, ascending
     * @param minSteps      local steps per round, at least
     * @param maxSteps      local steps per round, at most
     * @param idleTolerance share of a round a node may sit idle
     * @param workWeight    weight of total work against the round time
     * @param roundStretch  how much longer than the fastest possible round a plan may make it
     */
    public record PlannerChoices(String device, List<String> formats, List<Integer> batches, List<Integer> ranks,
            int minSteps, int maxSteps, double idleTolerance, double workWeight, double roundStretch) {

        public static final PlannerChoices DEFAULTS = new PlannerChoices("cpu-2core", List.of("fp32", "int8", "nf4"),
                List.of(8, 16), List.of(4, 8, 16), 10, 200, 0.1, 0.8, 3.0);

        public PlannerChoices {
            formats = List.copyOf(formats);
            batches = List.copyOf(batches);
            ranks = List.copyOf(ranks);
        }

        public List<QuantFormat> quantFormats() {
            return formats.stream().map(QuantFormat::parse).toList();
        }
    }

    /**
     * FedPipe's importance stage: a probe on every node, then the {@code matrices} best candidates.
     *
     * @param matrices     how many candidate matrices get adapters
     * @param probeSteps   probe steps per node
     * @param probeRank    adapter rank of the probe
     * @param refreshEvery re-probe before every this many rounds; 0: once, before the first round
     */
    public record ImportanceStage(int matrices, int probeSteps, int probeRank, int refreshEvery) {

        /** The values a job without an {@code importance} block reports (no matrices selected). */
        static final ImportanceStage NONE = new ImportanceStage(0, 10, 4, 0);
    }

    public JobSpec {
        if (jobId == null || jobId.isBlank()) {
            throw new IllegalArgumentException("a job needs an id");
        }
        if (partitions < 1 || rounds < 1 || !(quorum > 0 && quorum <= 1) || roundTimeoutMs <= 0) {
            throw new IllegalArgumentException("job " + jobId + ": needs partitions >= 1, rounds >= 1, quorum in (0, 1]"
                    + " and a positive round timeout");
        }
        targets = List.copyOf(targets);
        generation = generation == null ? Generation.DEFAULTS : generation;
    }

    public JobSpec withJobId(String id) {
        return new JobSpec(id, model, data, strategy, rounds, targets, alpha, lr, warmup, maxLength, seed, partitions,
                quorum, roundTimeoutMs, planner, importance, maxSeconds, method, setting, generation);
    }

    public StrategyKind strategyKind() {
        return StrategyKind.parse(strategy);
    }

    public Set<LoraTarget> loraTargets() {
        Set<LoraTarget> out = EnumSet.noneOf(LoraTarget.class);
        targets.forEach(t -> out.add(LoraTarget.parse(t)));
        return out;
    }

    /** The planner's choices, with the defaults when the job has no {@code planner} block. */
    public PlannerChoices plannerChoices() {
        return planner != null ? planner : PlannerChoices.DEFAULTS;
    }

    private ImportanceStage importanceOrNone() {
        return importance != null ? importance : ImportanceStage.NONE;
    }

    // Accessors with the names the actors have used since jobs were one flat record.

    public String task() {
        return data.task();
    }

    public int limitTrain() {
        return data.limitTrain();
    }

    public int limitValidation() {
        return data.limitValidation();
    }

    public String partitionKind() {
        return data.partitionKind();
    }

    public double dirichletAlpha() {
        return data.dirichletAlpha();
    }

    /** Matrices to select by importance; 0: every candidate, no probe. */
    public int importanceMatrices() {
        return importanceOrNone().matrices();
    }

    public int probeSteps() {
        return importanceOrNone().probeSteps();
    }

    public int refreshEvery() {
        return importanceOrNone().refreshEvery();
    }

    public List<String> formats() {
        return plannerChoices().formats();
    }

    public List<Integer> batches() {
        return plannerChoices().batches();
    }

    public List<Integer> ranks() {
        return plannerChoices().ranks();
    }

    public int minSteps() {
        return plannerChoices().minSteps();
    }

    public int maxSteps() {
        return plannerChoices().maxSteps();
    }
}
