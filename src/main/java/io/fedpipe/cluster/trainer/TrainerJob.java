package io.fedpipe.cluster.trainer;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.JobProtocol.JobPrepared;
import io.fedpipe.cluster.protocol.JobProtocol.PrepareJob;
import io.fedpipe.aggregation.StrategyKind;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.core.HostTensor;
import io.fedpipe.local.AdaptedClassifiers;
import io.fedpipe.local.ClassifierImportance;
import io.fedpipe.local.ClassifierLocalRound;
import io.fedpipe.round.LocalResult;
import io.fedpipe.round.NodeAssignment;
import io.fedpipe.tokenize.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.List;
import java.util.function.Function;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.core.MatrixId;
import io.fedpipe.data.GenerationTask;
import io.fedpipe.eval.GenerationMetrics;
import io.fedpipe.eval.GenerationScores;
import io.fedpipe.generate.DecodingSettings;
import io.fedpipe.round.GlobalModel;
import io.fedpipe.data.GenerationExample;
import io.fedpipe.local.AdaptedDecoders;
import io.fedpipe.local.CausalLmImportance;
import io.fedpipe.local.CausalLmLocalRound;
import io.fedpipe.local.CausalLmShard;
import io.fedpipe.local.DecoderBase;

/**
 * A job as one trainer holds it: the models over its base, the tokenizer, its data shard and the
 * engine memory its rounds run in. A classification job (an encoder) trains
 * {@link ClassifierLocalRound}s on a {@link ClassificationDataset}; a causal-LM job (a decoder)
 * trains {@link CausalLmLocalRound}s on a tokenized {@link CausalLmShard} with a local validation
 * split. Created and used only on the trainer's DJL dispatcher; {@link #close} releases the
 * tokenizer and the memory.
 */
final class TrainerJob implements AutoCloseable {

    /**
     * Held by whatever runs DJL work for a trainer: one GradientCollector per process (STACK.md
     * rule 3) even when several actor systems share the JVM, as in tests; a node runs one trainer,
     * whose single-thread dispatcher already serializes its own work.
     */
    static final Object ENGINE_LOCK = new Object();

    /** The importance probe's rank, as the simulator's default ({@code probe-rank = 4}). */
    static final int PROBE_RANK = 4;

    final JobSpec job;
    private final int dataSize;
    private final TextTokenizer tokenizer;
    private final NDManager manager;
    /** The node's round on its data; the starting dense tensors a round without them begins from. */
    private final Function<NodeAssignment, LocalResult> local;
    private final Map<String, HostTensor> initialDense;
    /** A causal-LM job's decoders (for the final evaluation); null for a classifier. */
    private AdaptedDecoders decoders;
    private Path dataDir;

    private TrainerJob(JobSpec job, int dataSize, TextTokenizer tokenizer, NDManager manager,
            Function<NodeAssignment, LocalResult> local, Map<String, HostTensor> initialDense) {
        this.job = job;
        this.dataSize = dataSize;
        this.tokenizer = tokenizer;
        this.manager = manager;
        this.local = local;
        this.initialDense = initialDense;
    }

    /**
     * Decodes the job's test prompts (this node's copy of the task's test set: E2E's, or
     * {@code <data-dir>/<task>/test.jsonl}) with the base model and with {@code adapters} merged into
     * the unquantized base, and scores both. Runs on the DJL thread.
     */
    GatewayProtocol.GenerationEvaluation evaluate(String nodeId, Map<MatrixId, ScaledAdapter> adapters)
            throws IOException {
        if (decoders == null) {
            throw new IllegalArgumentException("job " + job.jobId() + " is not a causal-LM job; nothing to decode");
        }
        GenerationTask task = JobInputs.generationTask(job, dataDir);
        if (task.test().isEmpty()) {
            throw new IllegalArgumentException("node " + nodeId + " has no test prompts for task " + job.task());
        }
        JobSpec.Generation g = job.generation();
        int n = g.testPrompts() <= 0 ? task.test().size() : Math.min(g.testPrompts(), task.test().size());
        List<GenerationTask.TestPrompt> tests = task.test().subList(0, n);
        List<String> prompts = tests.stream().map(GenerationTask.TestPrompt::prompt).toList();
        List<List<String>> refs = tests.stream().map(GenerationTask.TestPrompt::references).toList();
        DecodingSettings settings = new DecodingSettings(g.maxNewTokens(), g.beams(), g.lengthPenalty(),
                g.noRepeatNgram(), decoders.eosId());
        synchronized (ENGINE_LOCK) {
            EngineSetup.start(0);
            GlobalModel global = new GlobalModel(0, adapters, Map.of(), Map.of());
            long t0 = System.nanoTime();
            List<String> tuned = decoders.decode(manager, global, prompts, settings);
            double seconds = (System.nanoTime() - t0) / 1e9;
            List<String> before = decoders.decode(manager, GlobalModel.initial(Map.of()), prompts, settings);
            List<GatewayProtocol.GenerationSample> samples = new java.util.ArrayList<>();
            for (int i = 0; i < Math.min(EXAMPLES, n); i++) {
                samples.add(new GatewayProtocol.GenerationSample(prompts.get(i).strip(), before.get(i), tuned.get(i),
                        refs.get(i).get(0)));
            }
            String decoding = g.beams() == 1 ? "greedy" : String.format(java.util.Locale.ROOT,
                    "beam %d, length penalty %.2f, no-repeat %d", g.beams(), g.lengthPenalty(), g.noRepeatNgram());
            return new GatewayProtocol.GenerationEvaluation(nodeId, n, decoding,
                    scores(GenerationMetrics.score(before, refs)), scores(GenerationMetrics.score(tuned, refs)),
                    samples, seconds, null);
        }
    }

    /** Example generations a finished job reports. */
    static final int EXAMPLES = 5;

    /** The five metrics by the names the reports use. */
    static Map<String, Double> scores(GenerationScores s) {
        Map<String, Double> m = new TreeMap<>();
        m.put("bleu", s.bleu());
        m.put("nist", s.nist());
        m.put("meteor", s.meteor());
        m.put("rouge_l", s.rougeL());
        m.put("cider", s.cider());
        return m;
    }

    /** Training examples (sequences) of this node: its weight in the average. */
    int dataSize() {
        return dataSize;
    }

    /** A prepared job and the answer for the scheduler. */
    record Loaded(TrainerJob job, JobPrepared reply) {}

    /**
     * Loads model, tokenizer and shard and runs the importance probe when asked; throws with a
     * one-line reason (unknown model or strategy, missing data) that becomes a {@code JobRefused}.
     */
    static Loaded prepare(PrepareJob cmd, String nodeId, Path dataDir, int threads, Device device) throws IOException {
        synchronized (ENGINE_LOCK) {
            // Also readies this dispatcher thread for training (EngineSetup.start turns its grad mode off).
            EngineSetup.start(threads);
            return load(cmd, nodeId, dataDir, device);
        }
    }

    private static Loaded load(PrepareJob cmd, String nodeId, Path dataDir, Device device) throws IOException {
        JobSpec job = cmd.job();
        StrategyKind.forCluster(job.strategy());
        var base = JobInputs.base(job.model());
        if (DecoderBase.isDecoder(base)) {
            return loadDecoder(cmd, nodeId, dataDir, device, DecoderBase.load(job.model(), base));
        }
        ClassificationDataset data = JobInputs.shard(job, cmd.shard(), cmd.shards(), dataDir, nodeId);
        if (data.size() == 0) {
            throw new IllegalArgumentException("node " + nodeId + " has no training examples in shard " + cmd.shard()
                    + " of " + cmd.shards());
        }
        TextTokenizer tokenizer = JobInputs.tokenizer(job);
        NDManager manager = NDManager.newBaseManager(device);
        TrainerJob prepared;
        AdaptedClassifiers models;
        try {
            models = new AdaptedClassifiers(base, tokenizer, data.numLabels(), job.alpha(), job.seed());
            ClassifierLocalRound round = new ClassifierLocalRound(models, manager, job.lr(), job.warmup());
            prepared = new TrainerJob(job, data.size(), tokenizer, manager, a -> round.run(a, data),
                    models.initialHead());
        } catch (RuntimeException e) {
            manager.close();
            tokenizer.close();
            throw e;
        }
        try {
            Map<io.fedpipe.core.MatrixId, Double> scores = Map.of();
            double seconds = 0;
            if (!cmd.probeCandidates().isEmpty()) {
                // As the simulator probes before round 1: the starting head, the seed + round 1's seed index (0).
                ClassifierImportance.Scores s = ClassifierImportance.probe(models, manager, nodeId, data,
                        cmd.probeCandidates(), models.initialHead(), cmd.probeBits(), PROBE_RANK,
                        job.probeSteps(), cmd.probeBatch(), job.lr(), job.seed());
                scores = s.scores();
                seconds = s.computeSeconds();
            }
            return new Loaded(prepared, new JobPrepared(job.jobId(), nodeId, data.size(), scores, seconds));
        } catch (RuntimeException e) {
            prepared.close();
            throw e;
        }
    }

    /** A causal-LM job: this node's share of the task's pool, tokenized once, a tenth held out locally. */
    private static Loaded loadDecoder(PrepareJob cmd, String nodeId, Path dataDir, Device device, DecoderBase base)
            throws IOException {
        JobSpec job = cmd.job();
        if (job.strategyKind().fullWeights()) {
            throw new IllegalArgumentException("strategy " + job.strategy() + " trains full weights; a causal-LM job"
                    + " trains LoRA adapters");
        }
        List<GenerationExample> mine = JobInputs.generationShard(job, cmd.shard(), cmd.shards(), dataDir, nodeId);
        TextTokenizer tokenizer = base.openTokenizer();
        NDManager manager = NDManager.newBaseManager(device);
        TrainerJob prepared;
        AdaptedDecoders models;
        CausalLmShard shard;
        try {
            int maxLength = Math.min(job.maxLength(), base.weights().config().maxPositions());
            shard = CausalLmShard.of(nodeId, mine, tokenizer, base.eosId(), maxLength, job.seed());
            models = new AdaptedDecoders(base.weights(), tokenizer, base.eosId(), job.alpha(), job.seed());
            models.shapes(job.loraTargets()); // refuses a target the family lacks, before any round
            CausalLmLocalRound round = new CausalLmLocalRound(models, manager, job.lr(), job.warmup());
            prepared = new TrainerJob(job, shard.size(), tokenizer, manager, a -> round.run(a, shard), Map.of());
            prepared.decoders = models;
            prepared.dataDir = dataDir;
        } catch (RuntimeException e) {
            manager.close();
            tokenizer.close();
            throw e;
        }
        try {
            Map<io.fedpipe.core.MatrixId, Double> scores = Map.of();
            double seconds = 0;
            if (!cmd.probeCandidates().isEmpty()) {
                ClassifierImportance.Scores s = CausalLmImportance.probe(models, manager, nodeId, shard,
                        cmd.probeCandidates(), cmd.probeBits(), PROBE_RANK, job.probeSteps(), cmd.probeBatch(),
                        job.lr(), job.seed());
                scores = s.scores();
                seconds = s.computeSeconds();
            }
            return new Loaded(prepared, new JobPrepared(job.jobId(), nodeId, shard.size(), scores, seconds));
        } catch (RuntimeException e) {
            prepared.close();
            throw e;
        }
    }

    /**
     * Trains one round. An assignment without the starting dense tensors (round 1: the aggregator
     * starts with none) gets the job's seeded ones, the ones every node and the simulator start
     * from (a classifier's head; a decoder has none).
     */
    LocalResult train(NodeAssignment assignment) {
        NodeAssignment a = assignment;
        if (!initialDense.isEmpty() && !initialDense.keySet().stream().allMatch(a.dense()::containsKey)) {
            Map<String, HostTensor> dense = new TreeMap<>(initialDense);
            dense.putAll(a.dense());
            a = new NodeAssignment(a.round(), a.plan(), a.adapters(), dense);
        }
        synchronized (ENGINE_LOCK) {
            EngineSetup.start(0); // grad mode off on this thread (see EngineSetup.start)
            return local.apply(a);
        }
    }

    @Override
    public void close() {
        synchronized (ENGINE_LOCK) {
            manager.close();
            tokenizer.close();
        }
    }
}
