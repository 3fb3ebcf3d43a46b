package io.fedpipe.cluster.trainer;

import ai.djl.ndarray.NDManager;
import io.fedpipe.cluster.protocol.JobDefinition;
import io.fedpipe.cluster.protocol.JobProtocol.JobPrepared;
import io.fedpipe.cluster.protocol.JobProtocol.PrepareJob;
import io.fedpipe.cluster.protocol.JobStrategies;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.engine.EngineSetup;
import io.fedpipe.model.HostTensor;
import io.fedpipe.round.AdaptedClassifiers;
import io.fedpipe.round.ClassifierImportance;
import io.fedpipe.round.ClassifierLocalRound;
import io.fedpipe.round.LocalResult;
import io.fedpipe.round.NodeAssignment;
import io.fedpipe.tokenize.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * A job as one trainer holds it: its classifiers over the base, its tokenizer, its data shard and
 * the engine memory its rounds run in. Created and used only on the trainer's DJL dispatcher;
 * {@link #close} releases the tokenizer and the memory.
 */
final class TrainerJob implements AutoCloseable {

    /** The importance probe's rank, as the simulator's default ({@code probe-rank = 4}). */
    static final int PROBE_RANK = 4;

    final JobDefinition job;
    final ClassificationDataset data;
    private final AdaptedClassifiers models;
    private final TextTokenizer tokenizer;
    private final NDManager manager;
    private final ClassifierLocalRound local;

    private TrainerJob(JobDefinition job, ClassificationDataset data, AdaptedClassifiers models, TextTokenizer tokenizer,
            NDManager manager) {
        this.job = job;
        this.data = data;
        this.models = models;
        this.tokenizer = tokenizer;
        this.manager = manager;
        this.local = new ClassifierLocalRound(models, manager, job.lr(), job.warmup());
    }

    /** A prepared job and the answer for the scheduler. */
    record Loaded(TrainerJob job, JobPrepared reply) {}

    /**
     * Loads model, tokenizer and shard and runs the importance probe when asked; throws with a
     * one-line reason (unknown model or strategy, missing data) that becomes a {@code JobRefused}.
     */
    static Loaded prepare(PrepareJob cmd, String nodeId, Path dataDir, int threads) throws IOException {
        JobDefinition job = cmd.job();
        JobStrategies.of(job.strategy());
        EngineSetup.start(threads);
        ClassificationDataset data = JobInputs.shard(job, cmd.shard(), cmd.shards(), dataDir, nodeId);
        if (data.size() == 0) {
            throw new IllegalArgumentException("node " + nodeId + " has no training examples in shard " + cmd.shard()
                    + " of " + cmd.shards());
        }
        var base = JobInputs.base(job.model());
        TextTokenizer tokenizer = JobInputs.tokenizer(job);
        NDManager manager = NDManager.newBaseManager();
        TrainerJob prepared;
        try {
            AdaptedClassifiers models = new AdaptedClassifiers(base, tokenizer, data.numLabels(), job.alpha(),
                    job.seed());
            prepared = new TrainerJob(job, data, models, tokenizer, manager);
        } catch (RuntimeException e) {
            manager.close();
            tokenizer.close();
            throw e;
        }
        try {
            Map<io.fedpipe.lora.MatrixId, Double> scores = Map.of();
            double seconds = 0;
            if (!cmd.probeCandidates().isEmpty()) {
                // As the simulator probes before round 0: the starting head, seed + round 0.
                ClassifierImportance.Scores s = ClassifierImportance.probe(prepared.models, manager, nodeId, data,
                        cmd.probeCandidates(), prepared.models.initialHead(), cmd.probeBits(), PROBE_RANK,
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

    /**
     * Trains one round. An assignment without the head (round 0: the aggregator starts with none)
     * starts from the job's seeded head, the one every node and the simulator start from.
     */
    LocalResult train(NodeAssignment assignment) {
        NodeAssignment a = assignment;
        if (!a.dense().containsKey(AdaptedClassifiers.HEAD_WEIGHT)) {
            Map<String, HostTensor> dense = new TreeMap<>(models.initialHead());
            dense.putAll(a.dense());
            a = new NodeAssignment(a.round(), a.plan(), a.adapters(), dense);
        }
        return local.run(a, data);
    }

    @Override
    public void close() {
        manager.close();
        tokenizer.close();
    }
}
