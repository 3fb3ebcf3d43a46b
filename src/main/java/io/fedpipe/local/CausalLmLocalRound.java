package io.fedpipe.local;

import ai.djl.ndarray.NDManager;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.LoraLinear;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.model.CausalLm;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.quant.QuantFormat;
import io.fedpipe.round.LocalEvaluation;
import io.fedpipe.round.LocalResult;
import io.fedpipe.round.LocalRound;
import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.NodeRoundPlan;
import io.fedpipe.train.CausalLmFineTuning;
import io.fedpipe.train.CausalLmObjective;
import io.fedpipe.train.ClassifierFineTuning;
import io.fedpipe.train.LocalTrainer;
import io.fedpipe.train.TokenBatch;
import io.fedpipe.train.TrainingOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A node's local round for a causal-LM job: build the decoder at the planned ranks and base
 * format from what was sent, run the planned LoRA steps on the node's sequences (loss on the
 * completion tokens and EOS only; AdamW with a fresh state each round, as FedAvg does), score the
 * trained model on the node's own held-out sequences, and return the adapters with their scales
 * α/r. Nothing dense travels: the base, its embeddings and its LM head stay frozen on every node.
 *
 * <p>Batches come from {@link ClassifierFineTuning.BatchSampler} (length-bucketed, seeded by job,
 * node and round, as the classifier's rounds are), so the simulator and a trainer on the cluster
 * draw the same batches for the same node and round.
 *
 * @param learningRate peak learning rate of each local run
 * @param warmupSteps  linear warm-up steps (capped at the planned steps)
 */
public record CausalLmLocalRound(AdaptedDecoders models, NDManager parent, float learningRate, int warmupSteps)
        implements LocalRound<CausalLmShard> {

    /** Sequences per forward pass of the local evaluation. */
    static final int EVALUATION_BATCH = 32;

    @Override
    public LocalResult run(NodeAssignment assignment, CausalLmShard data) {
        NodeRoundPlan plan = assignment.plan();
        if (plan.ranks().isEmpty()) {
            throw new IllegalArgumentException("plan of node " + plan.nodeId() + " adapts no matrix; a causal-LM"
                    + " round trains LoRA adapters");
        }
        if (data.size() == 0) {
            throw new IllegalArgumentException("node " + plan.nodeId() + " has no training sequences");
        }
        long seed = models.seed() * 31 + assignment.nodeId().hashCode() * 1_000_003L + assignment.seedIndex();
        boolean layerwise = !QuantFormat.FP32.configName().equals(plan.bits());
        TrainingOptions options = new TrainingOptions(plan.steps(), learningRate, Math.min(warmupSteps, plan.steps()),
                0.01f, 1.0f, layerwise, seed);
        try (NDManager scope = parent.newSubManager();
                TransformerModel model = models.build(scope, plan.ranks(), plan.bits(), assignment.adapters())) {
            CausalLm lm = new CausalLm(model);
            LocalTrainer<TokenBatch> trainer = new LocalTrainer<>(new CausalLmObjective(lm, false),
                    model.adapterParameters(), options);
            int[] lengths = data.train().stream().mapToInt(e -> e.ids().length).toArray();
            ClassifierFineTuning.BatchSampler sampler = new ClassifierFineTuning.BatchSampler(lengths,
                    plan.batchSize(), seed);
            double firstLoss = Double.NaN;
            double lastLoss = Double.NaN;
            int skipped = 0;
            ComputeClock clock = ComputeClock.start();
            for (int s = 0; s < plan.steps(); s++) {
                List<CausalLmFineTuning.Encoded> batch = new ArrayList<>();
                for (int i : sampler.next()) {
                    batch.add(data.train().get(i));
                }
                LocalTrainer.StepResult r;
                try (NDManager step = scope.newSubManager()) {
                    r = trainer.step(step, CausalLmFineTuning.batch(step, batch, models.eosId()));
                }
                if (r.skipped()) {
                    skipped++;
                } else {
                    firstLoss = Double.isNaN(firstLoss) ? r.loss() : firstLoss;
                    lastLoss = r.loss();
                }
            }
            double seconds = clock.seconds();
            LocalEvaluation validation = data.validation().isEmpty() ? LocalEvaluation.NONE
                    : new LocalEvaluation(data.validation().size(), CausalLmFineTuning.loss(scope, lm,
                            data.validation(), models.eosId(), EVALUATION_BATCH), Double.NaN);
            return new LocalResult(update(plan, model, data.size()), seconds, firstLoss, lastLoss, skipped, validation);
        }
    }

    private static NodeUpdate update(NodeRoundPlan plan, TransformerModel model, double weight) {
        Map<MatrixId, PeftAdapters.Adapter> adapters = new TreeMap<>();
        Map<MatrixId, Float> scales = new TreeMap<>();
        for (MatrixId id : plan.ranks().keySet()) {
            LoraLinear layer = model.linear(id);
            adapters.put(id, new PeftAdapters.Adapter(layer.hostA(), layer.hostB()));
            scales.put(id, layer.scale());
        }
        return new NodeUpdate(plan.nodeId(), weight, adapters, scales, Map.of());
    }
}
