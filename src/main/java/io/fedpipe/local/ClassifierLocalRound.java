package io.fedpipe.local;

import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.LocalResult;
import io.fedpipe.round.LocalRound;
import io.fedpipe.round.NodeRoundPlan;
import ai.djl.ndarray.NDManager;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.lora.LoraLinear;
import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.core.HostTensor;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.quant.QuantFormat;
import io.fedpipe.train.ClassificationObjective;
import io.fedpipe.train.LocalTrainer;
import io.fedpipe.train.TokenBatch;
import io.fedpipe.train.TrainingOptions;
import java.util.Map;
import java.util.TreeMap;

/**
 * A node's local round for encoder classification: build the classifier at the planned ranks from
 * what was sent, run the planned steps of LoRA training ({@link LocalTrainer}, AdamW with a fresh
 * state each round as in FedAvg), and return the adapters, their scales α/r and the head.
 *
 * <p>The model is built per round and closed at its end: the plan may change ranks or bits between
 * rounds, and in the in-process simulator only one node's model is on the device at a time.
 * Batches are drawn as {@link ClassifierSteps} says.
 *
 * @param learningRate peak learning rate of each local run
 * @param warmupSteps  linear warm-up steps (capped at the planned steps)
 */
public record ClassifierLocalRound(AdaptedClassifiers models, NDManager parent, float learningRate, int warmupSteps)
        implements LocalRound<ClassificationDataset> {

    @Override
    public LocalResult run(NodeAssignment assignment, ClassificationDataset data) {
        NodeRoundPlan plan = assignment.plan();
        if (plan.ranks().isEmpty()) {
            throw new IllegalArgumentException("plan of node " + plan.nodeId() + " adapts no matrix; a LoRA round needs"
                    + " ranks (full fine-tuning runs FullFineTuneLocalRound)");
        }
        if (data.size() == 0) {
            throw new IllegalArgumentException("node " + plan.nodeId() + " has no training examples");
        }
        long seed = ClassifierSteps.seed(models, assignment);
        boolean layerwise = !QuantFormat.FP32.configName().equals(plan.bits());
        TrainingOptions options = new TrainingOptions(plan.steps(), learningRate, Math.min(warmupSteps, plan.steps()),
                0.01f, 1.0f, layerwise, seed);
        try (NDManager scope = parent.newSubManager();
                SequenceClassifier classifier = models.build(scope, plan.ranks(), plan.bits(), assignment.adapters(),
                        assignment.dense())) {
            LocalTrainer<TokenBatch> trainer = new LocalTrainer<>(new ClassificationObjective(classifier, false),
                    classifier.trainableParameters(), options);
            ClassifierSteps.Outcome o = ClassifierSteps.run(trainer, models.tokenizer(), data, plan, seed, scope);
            return new LocalResult(update(plan, classifier, data.size()), o.seconds(), o.firstLoss(), o.lastLoss(),
                    o.skipped());
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
