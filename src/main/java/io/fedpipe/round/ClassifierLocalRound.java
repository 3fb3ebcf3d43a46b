package io.fedpipe.round;

import ai.djl.ndarray.NDManager;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.data.SeededRandom;
import io.fedpipe.lora.LoraLinear;
import io.fedpipe.lora.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.model.HostTensor;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.quant.QuantFormat;
import io.fedpipe.train.ClassificationObjective;
import io.fedpipe.train.LocalTrainer;
import io.fedpipe.train.TokenBatch;
import io.fedpipe.train.TrainingOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A node's local round for encoder classification: build the classifier at the planned ranks from
 * what was sent, run the planned steps of LoRA training ({@link LocalTrainer}, AdamW with a fresh
 * state each round as in FedAvg), and return the adapters, their scales α/r and the head.
 *
 * <p>The model is built per round and closed at its end: the plan may change ranks or bits between
 * rounds, and in the in-process simulator only one node's model is on the device at a time.
 * Batches are drawn without replacement from a permutation of the node's data seeded by node and
 * round, restarting when exhausted.
 *
 * @param learningRate peak learning rate of each local run
 * @param warmupSteps  linear warm-up steps (capped at the planned steps)
 */
public record ClassifierLocalRound(AdaptedClassifiers models, NDManager parent, float learningRate, int warmupSteps)
        implements LocalRound {

    @Override
    public LocalResult run(NodeAssignment assignment, ClassificationDataset data) {
        NodeRoundPlan plan = assignment.plan();
        if (data.size() == 0) {
            throw new IllegalArgumentException("node " + plan.nodeId() + " has no training examples");
        }
        long seed = models.seed() * 31 + plan.nodeId().hashCode() * 1_000_003L + assignment.round();
        boolean layerwise = !QuantFormat.FP32.configName().equals(plan.bits());
        TrainingOptions options = new TrainingOptions(plan.steps(), learningRate, Math.min(warmupSteps, plan.steps()),
                0.01f, 1.0f, layerwise, seed);
        try (NDManager scope = parent.newSubManager();
                SequenceClassifier classifier = models.build(scope, plan.ranks(), plan.bits(), assignment.adapters(),
                        assignment.dense())) {
            LocalTrainer<TokenBatch> trainer = new LocalTrainer<>(new ClassificationObjective(classifier, false),
                    classifier.trainableParameters(), options);
            int[] order = SeededRandom.forPurpose(seed, "batches").permutation(data.size());
            int batch = Math.min(plan.batchSize(), data.size());
            double firstLoss = Double.NaN;
            double lastLoss = Double.NaN;
            int skipped = 0;
            ComputeClock clock = ComputeClock.start();
            for (int s = 0; s < plan.steps(); s++) {
                List<long[]> ids = new ArrayList<>(batch);
                int[] labels = new int[batch];
                for (int i = 0; i < batch; i++) {
                    int example = order[(s * batch + i) % order.length];
                    ids.add(models.tokenizer().encode(data.get(example).text()).ids());
                    labels[i] = data.labelIndexAt(example);
                }
                LocalTrainer.StepResult r;
                try (NDManager step = scope.newSubManager()) {
                    r = trainer.step(step, TokenBatch.of(step, ids, labels, models.tokenizer().padId()));
                }
                if (r.skipped()) {
                    skipped++;
                } else {
                    firstLoss = Double.isNaN(firstLoss) ? r.loss() : firstLoss;
                    lastLoss = r.loss();
                }
            }
            double seconds = clock.seconds();
            return new LocalResult(update(plan, classifier, data.size()), seconds, firstLoss, lastLoss, skipped);
        }
    }

    private static NodeUpdate update(NodeRoundPlan plan, SequenceClassifier classifier, double weight) {
        Map<MatrixId, PeftAdapters.Adapter> adapters = new TreeMap<>();
        Map<MatrixId, Float> scales = new TreeMap<>();
        for (MatrixId id : plan.ranks().keySet()) {
            LoraLinear layer = classifier.encoder().linear(id);
            adapters.put(id, new PeftAdapters.Adapter(layer.hostA(), layer.hostB()));
            scales.put(id, layer.scale());
        }
        Map<String, HostTensor> head = Map.of(AdaptedClassifiers.HEAD_WEIGHT, classifier.hostHeadWeight(),
                AdaptedClassifiers.HEAD_BIAS, classifier.hostHeadBias());
        return new NodeUpdate(plan.nodeId(), weight, adapters, scales, head);
    }
}
