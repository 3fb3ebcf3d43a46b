package io.fedpipe.importance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.importance.ImportanceSelection.Budget;
import io.fedpipe.importance.ImportanceSelection.NodeScores;
import io.fedpipe.importance.ImportanceSelection.Ranked;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.model.BlockWeights;
import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.core.HostTensor;
import io.fedpipe.model.LinearWeights;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.train.LayeredObjective;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The probe on a task where only known matrices matter: distil a teacher into a student that
 * equals it except for heavily perturbed query projections of blocks 1 and 2. Restoring those
 * two matrices restores the teacher exactly, and no other matrix can: a query perturbation
 * changes <em>which</em> tokens a block mixes, which no linear map elsewhere can undo.
 *
 * <p>Why this design (measured while building it, 3 seeds each): AdaLoRA's first-order
 * sensitivity measures a matrix's leverage on the loss (its input times the gradient arriving
 * at its output), not where a change is needed. Perturbing a value or output projection instead
 * ranked its partner first (a large W_o inflates the gradient of W_v) or the last block's
 * output projection (which writes into the same residual stream with the most direct effect
 * on the final states), never the perturbed matrix. The base weights have std 1/√d rather than
 * 0.02, so that every branch contributes O(1) as in a trained model (at 0.02 attention is
 * nearly uniform and a query change does not reach the output). γ = 0: with AdaLoRA's γ = 0.1
 * the orthogonality penalty's gradient on P and Q (which start far from orthonormal, std 0.02)
 * gave every matrix ≈2·10⁻⁶, above the task's ≈1–5·10⁻⁷, and ranked nothing; with
 * γ = 10⁻³ the first block's output projection came first.
 */
class KnownMatricesProbeTest {

    private static final TransformerConfig CONFIG =
            new TransformerConfig(TransformerConfig.Family.BERT, 100, 64, 4, 4, 128, 32, 2, 1e-12);
    private static final Set<MatrixId> CORRUPTED = Set.of(new MatrixId(1, LoraTarget.Q), new MatrixId(2, LoraTarget.Q));

    @BeforeAll
    static void engine() {
        EngineSetup.start(1);
    }

    @Test
    void corruptedMatricesRankFirstForEverySeed() {
        Random init = new Random(7);
        TransformerWeights teacher = mapLinears(TransformerWeights.random(CONFIG, 7), (id, in) -> w -> w * 6.25);
        // Perturbation with twice the weights' own std 1/√in: a heavy change, not a nudge.
        TransformerWeights student = mapLinears(teacher,
                (id, in) -> CORRUPTED.contains(id) ? w -> w + init.nextGaussian() * 2 / Math.sqrt(in) : w -> w);
        for (long seed = 1; seed <= 3; seed++) {
            Map<MatrixId, Double> scores = probe(teacher, student, seed);
            assertEquals(16, scores.size(), "q, k, v, o of 4 blocks");
            ImportanceSelection.Result r = ImportanceSelection.select(
                    List.of(new NodeScores("node", 1, scores)), new Budget.Matrices(CORRUPTED.size()));
            List<Ranked> ranking = r.ranking();
            Ranked kth = ranking.get(CORRUPTED.size() - 1);
            Ranked next = ranking.get(CORRUPTED.size());
            String margin = String.format("seed %d: k-th %s = %.3g, (k+1)-th %s = %.3g, ratio %.2f; ranking %s", seed,
                    kth.id(), kth.score(), next.id(), next.score(), kth.score() / next.score(),
                    ranking.stream().map(x -> String.format("%s=%.3g", x.id(), x.score())).toList());
            System.out.println(margin);
            assertEquals(CORRUPTED, r.selectedIds(), margin);
        }
    }

    private record Batch(NDArray ids, NDArray target) {}

    /** MSE between the student's and the teacher's final hidden states on random token batches. */
    private static Map<MatrixId, Double> probe(TransformerWeights teacherWeights, TransformerWeights studentWeights,
            long seed) {
        LoraConfig lora = LoraConfig.uniform(CONFIG.layers(),
                EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O), 4, 4f, 0f);
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel teacher = TransformerModel.create(m, teacherWeights, null, FrozenWeightFactory.dense(), 0);
                TransformerModel student = TransformerModel.create(m, studentWeights, lora, FrozenWeightFactory.dense(), seed)) {
            LayeredObjective<Batch> distillation = new LayeredObjective<>() {
                @Override
                public int layers() {
                    return CONFIG.layers();
                }

                @Override
                public NDArray embed(Batch b) {
                    return student.embed(b.ids(), null, 0);
                }

                @Override
                public NDArray block(int i, NDArray x, Batch b, boolean training) {
                    return student.block(i, x, null, null, training);
                }

                @Override
                public NDArray loss(NDArray top, Batch b) {
                    return top.sub(b.target()).square().mean();
                }
            };
            Random tokens = new Random(seed);
            return ImportanceProbe.run(student, distillation, scope -> {
                long[] ids = new long[16 * 16];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = tokens.nextInt(CONFIG.vocabSize());
                }
                NDArray x = scope.create(ids, new Shape(16, 16));
                return new Batch(x, teacher.forward(x, null, null, null, false));
            }, new ImportanceProbe.Options(40, 1e-2f, 0f, seed));
        }
    }

    private interface LinearMap {
        DoubleUnaryOperator of(MatrixId id, int in);
    }

    private static TransformerWeights mapLinears(TransformerWeights w, LinearMap f) {
        List<BlockWeights> blocks = new ArrayList<>();
        for (int i = 0; i < w.blocks().size(); i++) {
            BlockWeights b = w.blocks().get(i);
            Map<LoraTarget, LinearWeights> linears = new EnumMap<>(LoraTarget.class);
            for (LoraTarget t : w.config().targets()) {
                LinearWeights lw = b.linear(t);
                DoubleUnaryOperator op = f.of(new MatrixId(i, t), lw.in());
                float[] d = lw.weight().data().clone();
                for (int k = 0; k < d.length; k++) {
                    d[k] = (float) op.applyAsDouble(d[k]);
                }
                linears.put(t, new LinearWeights(new HostTensor(lw.weight().shape(), d), lw.bias()));
            }
            blocks.add(new BlockWeights(linears, b.norm1Gain(), b.norm1Bias(), b.norm2Gain(), b.norm2Bias()));
        }
        return new TransformerWeights(w.config(), w.wordEmbeddings(), w.positionEmbeddings(), w.typeEmbeddings(),
                w.embeddingNormGain(), w.embeddingNormBias(), blocks, w.finalNormGain(), w.finalNormBias());
    }
}
