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

/**
 * A job as one trainer holds it: its classifiers over the base, its tokenizer, its data shard and
 * the engine memory its rounds run in. Created and used only on the trainer's DJL dispatcher;
 * {@link #close} releases the tokenizer and the memory.
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
    final ClassificationDataset data;
    private final AdaptedClassifiers models;
    private final TextTokenizer tokenizer;
    private final NDManager manager;
    private final ClassifierLocalRound local;

    private TrainerJob(JobSpec job, ClassificationDataset data, AdaptedClassifiers models, TextTokenizer tokenizer,
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
        ClassificationDataset data = JobInputs.shard(job, cmd.shard(), cmd.shards(), dataDir, nodeId);
        if (data.size() == 0) {
            throw new IllegalArgumentException("node " + nodeId + " has no training examples in shard " + cmd.shard()
                    + " of " + cmd.shards());
        }
        var base = JobInputs.base(job.model());
        TextTokenizer tokenizer = JobInputs.tokenizer(job);
        NDManager manager = NDManager.newBaseManager(device);
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
            Map<io.fedpipe.core.MatrixId, Double> scores = Map.of();
            double seconds = 0;
            if (!cmd.probeCandidates().isEmpty()) {
                // As the simulator probes before round 1: the starting head, the seed + round 1's seed index (0).
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
     * Trains one round. An assignment without the head (round 1: the aggregator starts with none)
     * starts from the job's seeded head, the one every node and the simulator start from.
     */
    LocalResult train(NodeAssignment assignment) {
        NodeAssignment a = assignment;
        if (!a.dense().containsKey(AdaptedClassifiers.HEAD_WEIGHT)) {
            Map<String, HostTensor> dense = new TreeMap<>(models.initialHead());
            dense.putAll(a.dense());
            a = new NodeAssignment(a.round(), a.plan(), a.adapters(), dense);
        }
        synchronized (ENGINE_LOCK) {
            EngineSetup.start(0); // grad mode off on this thread (see EngineSetup.start)
            return local.run(a, data);
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
