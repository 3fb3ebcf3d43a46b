package io.fedpipe.local;

import ai.djl.ndarray.NDManager;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.data.SeededRandom;
import io.fedpipe.importance.ImportanceProbe;
import io.fedpipe.core.MatrixId;
import io.fedpipe.core.HostTensor;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.quant.QuantFormat;
import io.fedpipe.train.ClassificationObjective;
import io.fedpipe.train.TokenBatch;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * FedPipe's importance stage on one node of a classification job: a short {@link ImportanceProbe}
 * with SVD-form adapters of rank {@code probeRank} on every candidate matrix, over the node's own
 * data, with the base stored as the node will train it ({@code bits}, per-block recompute when
 * quantized) and its batch size, so the probe fits where the training does. The current global
 * head sits on top. Returns each candidate's score and the compute seconds it took
 * ({@link ComputeClock}).
 */
public final class ClassifierImportance {

    /** A node's probe: score per candidate matrix and its measured compute seconds. */
    public record Scores(String nodeId, Map<MatrixId, Double> scores, double computeSeconds, int dataSize) {}

    /**
     * No orthogonality regulariser: in a probe of a few steps from the SVD-form init its gradient
     * (AdaLoRA's γ = 0.1) outweighed the task's on every matrix and flattened the ranking
     * (KnownMatricesProbeTest, docs/algorithm.md "Importance").
     */
    private static final float PROBE_GAMMA = 0f;

    private ClassifierImportance() {}

    /**
     * @param candidates matrices that may get adapters
     * @param head       the dense tensors of the current global model (the classification head)
     */
    public static Scores probe(AdaptedClassifiers models, NDManager parent, String nodeId, ClassificationDataset data,
            Collection<MatrixId> candidates, Map<String, HostTensor> head, String bits, int probeRank, int steps,
            int batch, float lr, long seed) {
        if (data.size() == 0) {
            throw new IllegalArgumentException("node " + nodeId + " has no training examples to probe importance on");
        }
        Map<MatrixId, Integer> ranks = new TreeMap<>();
        candidates.forEach(id -> ranks.put(id, probeRank));
        long nodeSeed = seed * 31 + nodeId.hashCode() * 1_000_003L;
        int[] order = SeededRandom.forPurpose(nodeSeed, "importance-batches").permutation(data.size());
        int b = Math.min(batch, data.size());
        int[] next = {0};
        try (NDManager scope = parent.newSubManager();
                SequenceClassifier classifier = models.build(scope, ranks, bits, Map.of(), head)) {
            ClassificationObjective objective = new ClassificationObjective(classifier, false);
            ComputeClock clock = ComputeClock.start();
            Map<MatrixId, Double> scores = ImportanceProbe.run(classifier.encoder(), objective, step -> {
                List<long[]> ids = new ArrayList<>(b);
                int[] labels = new int[b];
                for (int i = 0; i < b; i++) {
                    int example = order[next[0]++ % order.length];
                    ids.add(models.tokenizer().encode(data.get(example).text()).ids());
                    labels[i] = data.labelIndexAt(example);
                }
                return TokenBatch.of(step, ids, labels, models.tokenizer().padId());
            }, new ImportanceProbe.Options(steps, lr, PROBE_GAMMA, nodeSeed, !QuantFormat.FP32.configName().equals(bits)));
            return new Scores(nodeId, scores, clock.seconds(), data.size());
        }
    }
}
