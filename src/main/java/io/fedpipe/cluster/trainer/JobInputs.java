package io.fedpipe.cluster.trainer;

import io.fedpipe.job.JobSpec;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.data.ClassificationTasks;
import io.fedpipe.data.DatasetSplits;
import io.fedpipe.data.JsonlReader;
import io.fedpipe.data.GenerationExample;
import io.fedpipe.data.GenerationPartitions;
import io.fedpipe.data.GenerationTask;
import io.fedpipe.data.GenerationTasks;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.tokenize.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * What a trainer loads for a job: the base weights, the tokenizer and its own training shard.
 *
 * <p>The built-in {@code wordnet-topics} task is split exactly as the in-process simulator splits
 * it ({@code ExperimentRunner}): the seeded task, the first {@code limitTrain} examples, the job's
 * partitioner over {@code shards} nodes with the job's seed, and this node takes part
 * {@code shard}; so a cluster job and a simulation of it train on the same data. Any other task
 * is the node's private {@code <data-dir>/<task>/train.jsonl}.
 *
 * <p>The base weights and the WordNet splits are kept for the next job (the last one of each), so
 * several trainers in one JVM, as in tests, load them once; a node runs one trainer.
 */
final class JobInputs {

    private JobInputs() {}

    private record Cached<K, V>(K key, V value) {}

    private static Cached<String, TransformerWeights> lastModel;
    private static Cached<Long, DatasetSplits> lastWordNet;
    private static Cached<Long, GenerationTask> lastE2e;

    static synchronized TransformerWeights base(String model) {
        if (lastModel == null || !lastModel.key().equals(model)) {
            lastModel = new Cached<>(model, PretrainedModels.load(model));
        }
        return lastModel.value();
    }

    /** The tokenizer of a model directory, or MiniLM's for the built-in model; truncating at the job's length. */
    static TextTokenizer tokenizer(JobSpec job) throws IOException {
        if (PretrainedModels.isDirectory(job.model())) {
            Path file = Path.of(job.model()).resolve("tokenizer.json");
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("model directory " + job.model() + " has no tokenizer.json");
            }
            return TextTokenizer.fromFile(file, job.maxLength(), TextTokenizer.Overflow.TRUNCATE);
        }
        return TextTokenizer.miniLm(job.maxLength(), TextTokenizer.Overflow.TRUNCATE);
    }

    /** This node's training examples: shard {@code shard} of {@code shards} of the built-in task, or its own file. */
    static ClassificationDataset shard(JobSpec job, int shard, int shards, Path dataDir, String nodeId)
            throws IOException {
        if (shards < 1 || shard < 0 || shard >= shards) {
            throw new IllegalArgumentException("shard " + shard + " of " + shards + " does not exist");
        }
        if (ClassificationTasks.WORDNET_TOPICS.equals(job.task().toLowerCase(Locale.ROOT))) {
            ClassificationDataset train = limit(wordNet(job.seed()).train(), job.limitTrain());
            if (!job.partitionKind().equals("iid") && !job.partitionKind().equals("dirichlet")) {
                throw new IllegalArgumentException("unknown partition kind '" + job.partitionKind()
                        + "'; valid: iid, dirichlet");
            }
            List<int[]> parts = job.data().partitioner()
                    .partition(train.labelIndices(), train.numLabels(), shards, job.seed());
            return train.subset(parts.get(shard));
        }
        Path file = dataDir.resolve(job.task()).resolve("train.jsonl");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("node " + nodeId + " has no data for task '" + job.task() + "': "
                    + file.toAbsolutePath().normalize() + " does not exist");
        }
        return limit(JsonlReader.readClassification(file).dataset(), job.limitTrain());
    }

    /**
     * This node's generation examples: shard {@code shard} of {@code shards} of the built-in E2E pool
     * (the dev set minus the validation MRs, limited and partitioned exactly as the simulator does),
     * or its own {@code <data-dir>/<task>/} task directory (train.jsonl, optional test.jsonl).
     */
    static List<GenerationExample> generationShard(JobSpec job, int shard, int shards, Path dataDir, String nodeId)
            throws IOException {
        if (shards < 1 || shard < 0 || shard >= shards) {
            throw new IllegalArgumentException("shard " + shard + " of " + shards + " does not exist");
        }
        if (GenerationTasks.E2E.equals(job.task().toLowerCase(Locale.ROOT))) {
            List<GenerationExample> pool = e2e(job.seed()).train();
            pool = job.limitTrain() > 0 ? pool.subList(0, Math.min(job.limitTrain(), pool.size())) : pool;
            int[] part = GenerationPartitions.partition(pool, job.partitionKind(), job.data().partitioner(),
                    job.data().by(), shards, job.seed()).get(shard);
            List<GenerationExample> out = new java.util.ArrayList<>(part.length);
            for (int i : part) {
                out.add(pool.get(i));
            }
            return out;
        }
        Path dir = dataDir.resolve(job.task());
        if (!Files.isRegularFile(dir.resolve("train.jsonl"))) {
            throw new IllegalArgumentException("node " + nodeId + " has no data for task '" + job.task() + "': "
                    + dir.resolve("train.jsonl").toAbsolutePath().normalize() + " does not exist");
        }
        List<GenerationExample> train = GenerationTasks.load(dir.toString(), job.seed()).train();
        return job.limitTrain() > 0 ? train.subList(0, Math.min(job.limitTrain(), train.size())) : train;
    }

    /** The generation task a node evaluates the finished job on: E2E's test set, or its own task directory's. */
    static GenerationTask generationTask(JobSpec job, Path dataDir) throws IOException {
        if (GenerationTasks.E2E.equals(job.task().toLowerCase(Locale.ROOT))) {
            return e2e(job.seed());
        }
        return GenerationTasks.load(dataDir.resolve(job.task()).toString(), job.seed());
    }

    private static synchronized GenerationTask e2e(long seed) throws IOException {
        if (lastE2e == null || lastE2e.key() != seed) {
            lastE2e = new Cached<>(seed, GenerationTasks.e2e(seed));
        }
        return lastE2e.value();
    }

    private static synchronized DatasetSplits wordNet(long seed) throws IOException {
        if (lastWordNet == null || lastWordNet.key() != seed) {
            lastWordNet = new Cached<>(seed, ClassificationTasks.load(ClassificationTasks.WORDNET_TOPICS, seed));
        }
        return lastWordNet.value();
    }

    private static ClassificationDataset limit(ClassificationDataset data, int max) {
        return max > 0 ? data.head(max) : data;
    }

    /** {@code supplier} with checked exceptions turned into unchecked ones, for a CompletionStage. */
    static <T> Supplier<T> unchecked(IoSupplier<T> supplier) {
        return () -> {
            try {
                return supplier.get();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e.getMessage(), e);
            }
        };
    }

    @FunctionalInterface
    interface IoSupplier<T> {
        T get() throws IOException;
    }
}
