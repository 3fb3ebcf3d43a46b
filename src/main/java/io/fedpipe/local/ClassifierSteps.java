package io.fedpipe.local;

import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.NodeRoundPlan;
import ai.djl.ndarray.NDManager;
import io.fedpipe.data.ClassificationDataset;
import io.fedpipe.data.SeededRandom;
import io.fedpipe.tokenize.TextTokenizer;
import io.fedpipe.train.LocalTrainer;
import io.fedpipe.train.TokenBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * The planned optimizer steps of one local classification round, shared by the LoRA and the
 * full fine-tuning rounds so both see the same batches: drawn without replacement from a
 * permutation of the node's data seeded by node and round, restarting when exhausted.
 */
final class ClassifierSteps {

    /** How the steps went; {@code seconds} is the measured compute of the steps alone ({@link ComputeClock}). */
    record Outcome(double firstLoss, double lastLoss, int skipped, double seconds) {}

    private ClassifierSteps() {}

    /**
     * The seed of a node's round: data order and dropout, the same under every method. It takes the
     * round's {@link NodeAssignment#seedIndex() seed index}, not its number, so the batches are the
     * ones every earlier run drew.
     */
    static long seed(AdaptedClassifiers models, NodeAssignment assignment) {
        return models.seed() * 31 + assignment.nodeId().hashCode() * 1_000_003L + assignment.seedIndex();
    }

    static Outcome run(LocalTrainer<TokenBatch> trainer, TextTokenizer tokenizer, ClassificationDataset data,
            NodeRoundPlan plan, long seed, NDManager scope) {
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
                ids.add(tokenizer.encode(data.get(example).text()).ids());
                labels[i] = data.labelIndexAt(example);
            }
            LocalTrainer.StepResult r;
            try (NDManager step = scope.newSubManager()) {
                r = trainer.step(step, TokenBatch.of(step, ids, labels, tokenizer.padId()));
            }
            if (r.skipped()) {
                skipped++;
            } else {
                firstLoss = Double.isNaN(firstLoss) ? r.loss() : firstLoss;
                lastLoss = r.loss();
            }
        }
        return new Outcome(firstLoss, lastLoss, skipped, clock.seconds());
    }
}
