package io.fedpipe.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.model.CausalLm;
import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.model.TinyModels;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BackpropTest {

    @BeforeAll
    static void engine() {
        EngineSetup.start(1);
    }

    private static List<long[]> sequences() {
        return List.of(new long[] {1, 4, 9, 16, 25, 36}, new long[] {2, 3, 5, 7}, new long[] {11, 13, 17, 19, 23, 29});
    }

    @Test
    void layerwiseRecomputeGivesTheSameGradientsAsOneGraph() {
        TransformerConfig c = TinyModels.bert();
        // Dropout on: the recomputed block must see the same masks as the first pass.
        LoraConfig lora = LoraConfig.uniform(c.layers(), c.targets(), 3, 6f, 0.2f);
        assertLayerwiseEqualsWhole(c, lora);
    }

    @Test
    void layerwiseWorksWhenTheFirstBlockHasNoAdapter() {
        TransformerConfig c = TinyModels.bert();
        // Only the last layer's v is adapted (importance may select no first-layer matrix): block 0
        // then has nothing to differentiate, which must not fail the backward pass.
        java.util.Map<io.fedpipe.core.MatrixId, Integer> ranks = java.util.Map.of(
                new io.fedpipe.core.MatrixId(c.layers() - 1, LoraTarget.V), 3);
        LoraConfig lora = new LoraConfig(ranks, 6f, 0f);
        assertLayerwiseEqualsWhole(c, lora);
    }

    /** Per-block recompute gives one graph's gradients (max diff < 1e-6), and they are not trivially zero. */
    private static void assertLayerwiseEqualsWhole(TransformerConfig c, LoraConfig lora) {
        List<float[]> whole = gradients(c, lora, false);
        List<float[]> layerwise = gradients(c, lora, true);
        assertEquals(whole.size(), layerwise.size());
        double maxDiff = 0;
        double maxAbs = 0;
        for (int i = 0; i < whole.size(); i++) {
            for (int j = 0; j < whole.get(i).length; j++) {
                maxDiff = Math.max(maxDiff, Math.abs(whole.get(i)[j] - layerwise.get(i)[j]));
                maxAbs = Math.max(maxAbs, Math.abs(whole.get(i)[j]));
            }
        }
        assertTrue(maxAbs > 1e-4, "gradients are trivially zero: " + maxAbs);
        assertTrue(maxDiff < 1e-6, "layerwise vs whole max diff " + maxDiff);
    }

    private static List<float[]> gradients(TransformerConfig c, LoraConfig lora, boolean layerwise) {
        try (NDManager m = NDManager.newBaseManager();
                SequenceClassifier clf = new SequenceClassifier(TransformerModel.create(m,
                        TransformerWeights.random(c, 3), lora, FrozenWeightFactory.dense(), 4), 3, 5)) {
            TinyModels.randomizeAdapters(clf.encoder(), 6);
            ClassificationObjective obj = new ClassificationObjective(clf, true);
            try (NDManager step = m.newSubManager()) {
                TokenBatch batch = TokenBatch.of(step, sequences(), new int[] {0, 2, 1}, 0);
                if (layerwise) {
                    Backprop.layerwise(obj, batch, 42);
                } else {
                    Backprop.whole(obj, batch, 42);
                }
                List<float[]> grads = new ArrayList<>();
                for (NDArray p : clf.trainableParameters()) {
                    try (NDArray g = p.getGradient()) {
                        grads.add(g.toFloatArray());
                    }
                }
                return grads;
            }
        }
    }

    @Test
    void gradientsSurviveGarbageCollectionBetweenForwardAndBackward() {
        TransformerConfig c = TinyModels.gpt2();
        LoraConfig lora = LoraConfig.uniform(c.layers(), c.targets(), 3, 6f, 0f);
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel dec = TransformerModel.create(m, TransformerWeights.random(c, 3), lora,
                        FrozenWeightFactory.dense(), 4)) {
            TinyModels.randomizeAdapters(dec, 5);
            CausalLmObjective plain = new CausalLmObjective(new CausalLm(dec), false);
            List<float[]> expected = lmGradients(m, dec, plain);
            // Same computation, but between the forward blocks (whose scopes are closed by then)
            // and the backward pass, collect garbage and refill freed native memory with NaN.
            LayeredObjective<TokenBatch> polluting = LayeredObjective.withLoss(plain, (top, batch) -> {
                NativeMemoryPolluter.collectAndPoison();
                return plain.loss(top, batch);
            });
            List<float[]> got = lmGradients(m, dec, polluting);
            for (int i = 0; i < expected.size(); i++) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(expected.get(i), got.get(i), 0f,
                        "gradient " + i + " changed when freed native memory was reused");
            }
            NativeMemoryPolluter.release();
        }
    }

    private static List<float[]> lmGradients(NDManager m, TransformerModel dec, LayeredObjective<TokenBatch> obj) {
        try (NDManager step = m.newSubManager()) {
            Backprop.whole(obj, TokenBatch.of(step, sequences(), null, 0), 1);
            List<float[]> grads = new ArrayList<>();
            for (NDArray p : dec.adapterParameters()) {
                try (NDArray g = p.getGradient()) {
                    grads.add(g.toFloatArray());
                    ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) p);
                }
            }
            return grads;
        }
    }

    /** Frees unreachable direct buffers and fills whatever malloc hands out next with NaN. */
    static final class NativeMemoryPolluter {
        private static final List<java.nio.ByteBuffer> HELD = new ArrayList<>();

        static void collectAndPoison() {
            for (int i = 0; i < 3; i++) {
                System.gc();
                try {
                    Thread.sleep(50); // the Cleaner thread frees direct memory asynchronously
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            for (int i = 0; i < 20_000; i++) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(4 + (i % 4) * 4)
                        .order(java.nio.ByteOrder.nativeOrder());
                while (b.remaining() >= 4) {
                    b.putFloat(Float.NaN);
                }
                HELD.add(b);
            }
        }

        static void release() {
            HELD.clear();
        }
    }

    /**
     * The tied LM head's logits are bounded by |ln_f(h)|·|e_token| ≈ √d·|e|; with std-0.02
     * embeddings that is below 1, too flat for any adapter to reach a near-zero loss. Trained
     * GPT-2 embeddings have norms of a few units; std 1 gives the same headroom.
     */
    private static TransformerWeights withLargeEmbeddings(TransformerWeights w) {
        float[] e = w.wordEmbeddings().data().clone();
        for (int i = 0; i < e.length; i++) {
            e[i] *= 50;
        }
        return new TransformerWeights(w.config(), new io.fedpipe.core.HostTensor(w.wordEmbeddings().shape(), e),
                w.positionEmbeddings(), w.typeEmbeddings(), w.embeddingNormGain(), w.embeddingNormBias(), w.blocks(),
                w.finalNormGain(), w.finalNormBias());
    }

    @Test
    void decoderWithLoraOverfitsATinyCorpus() {
        TransformerConfig c = TinyModels.gpt2();
        LoraConfig lora = LoraConfig.uniform(c.layers(), c.targets(), 8, 16f, 0f);
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel dec = TransformerModel.create(m, withLargeEmbeddings(TransformerWeights.random(c, 7)),
                        lora, FrozenWeightFactory.dense(), 8)) {
            CausalLm lm = new CausalLm(dec);
            TrainingOptions opts = new TrainingOptions(150, 1e-2f, 10, 0f, 1f, true, 1);
            LocalTrainer<TokenBatch> trainer = new LocalTrainer<>(new CausalLmObjective(lm, false),
                    dec.adapterParameters(), opts);
            float first = Float.NaN;
            float last = Float.NaN;
            for (int i = 0; i < opts.steps(); i++) {
                try (NDManager step = m.newSubManager()) {
                    LocalTrainer.StepResult r = trainer.step(step, TokenBatch.of(step, sequences(), null, 0));
                    if (i == 0) {
                        first = r.loss();
                    }
                    last = r.loss();
                }
            }
            assertTrue(first > 2.0, "a random model starts far from zero loss: " + first);
            assertTrue(last < 0.05, "LoRA on a frozen random decoder must memorize 3 short sequences, loss " + last);
            // Memorized: greedy generation continues the first sequence exactly.
            long[] next = lm.generate(m, new long[] {1, 4, 9}, 3, true);
            assertEquals(List.of(16L, 25L, 36L), List.of(next[0], next[1], next[2]));
        }
    }
}
