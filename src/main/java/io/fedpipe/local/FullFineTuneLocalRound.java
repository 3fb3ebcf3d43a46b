package io.fedpipe.local;

import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.LocalResult;
import io.fedpipe.round.LocalRound;
import io.fedpipe.round.NodeRoundPlan;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.model.HfWeightNames;
import io.fedpipe.core.HostTensor;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.quant.QuantFormat;
import io.fedpipe.train.ClassificationObjective;
import io.fedpipe.train.LocalTrainer;
import io.fedpipe.train.TokenBatch;
import io.fedpipe.train.TrainingOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node's local round of the FT baseline (federated full fine-tuning, McMahan et al. 2017 applied
 * to every weight): build the float32 classifier from the base with the sent weights replacing
 * the base's ({@link AdaptedClassifiers#build}), train <em>every</em> weight of the encoder (word,
 * position and type embeddings, the embedding LayerNorm, and per block q, k, v, o, ffn_in, ffn_out
 * with their biases and both LayerNorms; {@link io.fedpipe.model.TransformerModel#unfreezeAll}) and
 * the head, and send all of them back under their Hugging Face names plus {@value
 * AdaptedClassifiers#HEAD_WEIGHT} and {@value AdaptedClassifiers#HEAD_BIAS}, for
 * {@link io.fedpipe.aggregation.FedAvgFull} to average with weight {@code |D_n|}.
 *
 * <p>Same optimizer (AdamW, fresh state each round, global-norm clip 1, weight decay 0.01 on every
 * tensor), schedule and batches ({@link ClassifierSteps}) as the LoRA round, so the methods differ
 * only in what they train. The whole model is trained in one autograd graph: full fine-tuning keeps
 * every weight's gradient and two AdamW moments anyway, so recomputing per block would save little.
 *
 * <p>Refused: a plan with LoRA ranks (this baseline has no adapters) or a base other than fp32
 * (there is no float32 array of a quantized weight to train; FT therefore cannot follow a planner
 * that quantizes the base of a small-memory node).
 *
 * @param learningRate peak learning rate of each local run (full fine-tuning wants far less than LoRA)
 * @param warmupSteps  linear warm-up steps (capped at the planned steps)
 */
public record FullFineTuneLocalRound(AdaptedClassifiers models, NDManager parent, float learningRate, int warmupSteps)
        implements LocalRound<ClassificationDataset> {

    @Override
    public LocalResult run(NodeAssignment assignment, ClassificationDataset data) {
        NodeRoundPlan plan = assignment.plan();
        if (!plan.ranks().isEmpty()) {
            throw new IllegalArgumentException("plan of node " + plan.nodeId() + " gives LoRA ranks to "
                    + plan.ranks().size() + " matrices, but full fine-tuning trains the weights themselves");
        }
        if (!QuantFormat.FP32.configName().equals(plan.bits())) {
            throw new IllegalArgumentException("plan of node " + plan.nodeId() + " stores the base as " + plan.bits()
                    + ", but full fine-tuning trains float32 weights (bits = fp32)");
        }
        if (data.size() == 0) {
            throw new IllegalArgumentException("node " + plan.nodeId() + " has no training examples");
        }
        long seed = ClassifierSteps.seed(models, assignment);
        TrainingOptions options = new TrainingOptions(plan.steps(), learningRate, Math.min(warmupSteps, plan.steps()),
                0.01f, 1.0f, false, seed);
        try (NDManager scope = parent.newSubManager();
                SequenceClassifier classifier = models.build(scope, Map.of(), plan.bits(), Map.of(),
                        assignment.dense())) {
            List<NDArray> trainables = new ArrayList<>(classifier.encoder().unfreezeAll());
            trainables.addAll(classifier.trainableParameters());
            LocalTrainer<TokenBatch> trainer = new LocalTrainer<>(new ClassificationObjective(classifier, false),
                    trainables, options);
            ClassifierSteps.Outcome o = ClassifierSteps.run(trainer, models.tokenizer(), data, plan, seed, scope);
            return new LocalResult(NodeUpdate.fullWeights(plan.nodeId(), data.size(), weights(classifier)), o.seconds(),
                    o.firstLoss(), o.lastLoss(), o.skipped());
        }
    }

    /** Every trained tensor on the host: the encoder's under Hugging Face names, then the head. */
    static Map<String, HostTensor> weights(SequenceClassifier classifier) {
        Map<String, HostTensor> out = new LinkedHashMap<>(HfWeightNames.toHf(classifier.encoder().toHostWeights()));
        out.put(AdaptedClassifiers.HEAD_WEIGHT, classifier.hostHeadWeight());
        out.put(AdaptedClassifiers.HEAD_BIAS, classifier.hostHeadBias());
        return out;
    }
}
