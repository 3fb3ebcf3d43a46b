package io.fedpipe.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.data.GenerationExample;
import io.fedpipe.data.GenerationTask;
import io.fedpipe.generate.DecodingSettings;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.tokenize.Gpt2TokenizerBuilder;
import io.fedpipe.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LoRA fine-tuning of a decoder on prompt → completion pairs: a random tiny Llama on an NF4 base
 * learns a fixed mapping (word → its "colour"), which it can only get from the adapters, and then
 * generates the completions. The loss is on completion tokens only: a prompt-token loss would
 * have to learn random prompt text and could not fall this far.
 */
class CausalLmFineTuningTest {

    private static final String[][] PAIRS = {
            {"sky =", " blue"}, {"grass =", " green"}, {"snow =", " white"}, {"coal =", " black"},
            {"blood =", " red"}, {"sun =", " yellow"}, {"night =", " dark"}, {"milk =", " white"}};

    @BeforeAll
    static void engine() {
        EngineSetup.start(1);
    }

    @Test
    void loraOnAnNf4LlamaLearnsTheCompletionsAndGeneratesThem() throws Exception {
        TransformerConfig c = TransformerConfig.llama(257 + MERGES, 64, 2, 4, 2, 128, 64, 1e-5, 10000, null, false, false);
        learnsColours(c, "nf4", EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O, LoraTarget.GATE,
                LoraTarget.FFN_IN, LoraTarget.FFN_OUT));
    }

    @Test
    void loraOnAnInt8Gpt2LearnsThemToo() throws Exception {
        TransformerConfig c = new TransformerConfig(TransformerConfig.Family.GPT2, 257 + MERGES, 64, 2, 4, 128, 64, 0, 1e-5);
        learnsColours(c, "int8", EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O, LoraTarget.FFN_IN,
                LoraTarget.FFN_OUT));
    }

    private static final int MERGES = 1000;

    private static void learnsColours(TransformerConfig c, String bits, java.util.Set<LoraTarget> targets)
            throws Exception {
        int merges = MERGES;
        long eos = 256 + merges;
        List<GenerationExample> train = new ArrayList<>();
        List<GenerationTask.TestPrompt> test = new ArrayList<>();
        for (String[] p : PAIRS) {
            train.add(new GenerationExample(p[0], p[1]));
            test.add(new GenerationTask.TestPrompt(p[0], List.of(p[1].strip())));
        }
        GenerationTask task = new GenerationTask("colours", train, train, test);
        CausalLmFineTuning.Spec spec = new CausalLmFineTuning.Spec(targets, 8, 16f, bits, 150, 8, 32, 1e-2f, 10, 3L,
                null,
                DecodingSettings.greedy(4, eos), 0);
        try (TextTokenizer tok = TextTokenizer.fromJson(Gpt2TokenizerBuilder.truncatedTokenizerJson(merges), "bpe-1000",
                        1 << 10, TextTokenizer.Overflow.REJECT);
                NDManager m = NDManager.newBaseManager()) {
            // Weights of std 0.3 (not 0.02): the frozen head and final norm bound the logits, and a
            // 0.02 head could not express a confident answer however well the adapters learn.
            CausalLmFineTuning.Result r = CausalLmFineTuning.run(io.fedpipe.model.TinyModels.randomWeights(c, 5, 0.3), tok,
                    eos, task, spec, m,
                    CausalLmFineTuning.Listener.NONE);
            assertTrue(r.baseValidationLoss() > 5, "a random base knows nothing: " + r.baseValidationLoss());
            assertTrue(r.validationLoss() < 0.05, "completion loss after training: " + r.validationLoss());
            for (int i = 0; i < PAIRS.length; i++) {
                assertEquals(PAIRS[i][1].strip(), r.predictions().get(i), "prompt '" + PAIRS[i][0] + "'");
            }
            assertEquals(0, r.tooLong());
        }
    }

    @Test
    void examplesLongerThanTheLimitAreLeftOutAndCounted() throws Exception {
        try (TextTokenizer tok = TextTokenizer.fromJson(Gpt2TokenizerBuilder.truncatedTokenizerJson(100), "bpe-100",
                1 << 10, TextTokenizer.Overflow.REJECT)) {
            List<CausalLmFineTuning.Encoded> out = new ArrayList<>();
            int tooLong = CausalLmFineTuning.encodeAll(tok, List.of(new GenerationExample("ab", "cd"),
                    new GenerationExample("a much longer prompt than the limit allows", " and more")), 356, 8, out);
            assertEquals(1, tooLong);
            assertEquals(1, out.size());
            long[] ids = out.get(0).ids();
            long[] targets = out.get(0).targets();
            assertEquals(356, ids[ids.length - 1], "EOS closes the sequence");
            int promptTokens = tok.encode("ab").ids().length;
            for (int i = 0; i < ids.length; i++) {
                assertEquals(i < promptTokens ? 0 : 1, targets[i], "target mask at " + i);
            }
        }
    }
}
