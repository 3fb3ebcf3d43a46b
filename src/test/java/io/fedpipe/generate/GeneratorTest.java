package io.fedpipe.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.model.CausalLm;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.runtime.EngineSetup;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GeneratorTest {

    private static final Path STORIES = Path.of("src/test/resources/models/stories260k");

    @BeforeAll
    static void engine() {
        EngineSetup.start(1);
    }

    @Test
    void batchedGreedyWithLeftPaddingEqualsOnePromptAtATime() {
        TransformerWeights w = PretrainedModels.fromDirectory(STORIES);
        List<long[]> prompts = List.of(new long[] {1}, new long[] {1, 400, 401, 300, 17}, new long[] {1, 72, 73});
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel model = TransformerModel.create(m, w, null, FrozenWeightFactory.dense(), 0)) {
            CausalLm lm = new CausalLm(model);
            List<Generator.Output> batched = new Generator(lm).generate(m, prompts, DecodingSettings.greedy(30, -1));
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(lm.generate(m, prompts.get(i), 30, true), batched.get(i).ids(), "prompt " + i);
            }
        }
    }

    @Test
    void batchedGreedyOnGpt2MatchesToo() {
        TransformerConfig c = new TransformerConfig(TransformerConfig.Family.GPT2, 61, 32, 2, 4, 64, 40, 0, 1e-5);
        TransformerWeights w = TransformerWeights.random(c, 9);
        List<long[]> prompts = List.of(new long[] {3, 4, 5, 6, 7, 8}, new long[] {9}, new long[] {10, 11});
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel model = TransformerModel.create(m, w, null, FrozenWeightFactory.dense(), 0)) {
            CausalLm lm = new CausalLm(model);
            List<Generator.Output> batched = new Generator(lm).generate(m, prompts, DecodingSettings.greedy(12, -1));
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(lm.generate(m, prompts.get(i), 12, true), batched.get(i).ids(), "prompt " + i);
            }
        }
    }

    @Test
    void beamSearchOfWidthOneIsGreedyAndWiderBeamsScoreAtLeastAsWell() {
        TransformerWeights w = PretrainedModels.fromDirectory(STORIES);
        long[] prompt = {1, 400, 401};
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel model = TransformerModel.create(m, w, null, FrozenWeightFactory.dense(), 0)) {
            CausalLm lm = new CausalLm(model);
            Generator g = new Generator(lm);
            long[] greedy = lm.generate(m, prompt, 20, true);
            Generator.Output one = g.beam(m, prompt, new DecodingSettings(20, 1, 0.0, 0, -1));
            assertArrayEquals(greedy, one.ids());
            Generator.Output four = g.beam(m, prompt, new DecodingSettings(20, 4, 0.0, 0, -1));
            assertEquals(20, four.ids().length);
            double greedyScore = logProb(m, lm, prompt, greedy);
            double beamScore = logProb(m, lm, prompt, four.ids());
            assertTrue(beamScore >= greedyScore - 1e-4, "beam " + beamScore + " < greedy " + greedyScore);
        }
    }

    @Test
    void noRepeatNgramBansTheTokenThatWouldRepeatAnNgram() {
        long[] tokens = {5, 6, 7, 5, 6};
        assertEquals(Set.of(7L), Generator.bannedTokens(tokens, 3));
        assertEquals(Set.of(), Generator.bannedTokens(tokens, 0));
        assertEquals(Set.of(6L), Generator.bannedTokens(new long[] {5, 6, 7, 5}, 2));
        TransformerWeights w = PretrainedModels.fromDirectory(STORIES);
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel model = TransformerModel.create(m, w, null, FrozenWeightFactory.dense(), 0)) {
            // Greedy decoding of this model repeats token 431 many times (see expected_greedy.json).
            long[] out = new Generator(new CausalLm(model)).beam(m, new long[] {1},
                    new DecodingSettings(60, 3, 1.0, 2, -1)).ids();
            java.util.Set<List<Long>> bigrams = new java.util.HashSet<>();
            for (int i = 0; i + 1 < out.length; i++) {
                assertTrue(bigrams.add(List.of(out[i], out[i + 1])), "bigram repeated at " + i);
            }
        }
    }

    @Test
    void promptsLongerThanTheContextAreRefused() {
        TransformerConfig c = new TransformerConfig(TransformerConfig.Family.GPT2, 61, 32, 2, 4, 64, 40, 0, 1e-5);
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel model = TransformerModel.create(m, TransformerWeights.random(c, 1), null,
                        FrozenWeightFactory.dense(), 0)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Generator(
                    new CausalLm(model)).generate(m, List.of(new long[35]), DecodingSettings.greedy(10, -1)));
            assertTrue(e.getMessage().contains("exceeds the model's context of 40"), e.getMessage());
        }
    }

    private static double logProb(NDManager m, CausalLm lm, long[] prompt, long[] continuation) {
        long[] all = new long[prompt.length + continuation.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(continuation, 0, all, prompt.length, continuation.length);
        try (NDManager scope = m.newSubManager()) {
            NDArray logits = lm.logits(scope.create(all, new Shape(1, all.length)), null, false);
            float[] lp = logits.logSoftmax(2).toFloatArray();
            int v = Math.toIntExact(logits.getShape().get(2));
            double sum = 0;
            for (int i = prompt.length; i < all.length; i++) {
                sum += lp[(i - 1) * v + (int) all[i]];
            }
            return sum;
        }
    }
}
