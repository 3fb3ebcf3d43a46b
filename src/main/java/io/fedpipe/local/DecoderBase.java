package io.fedpipe.local;

import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.model.hf.GenerationIds;
import io.fedpipe.tokenize.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a causal-LM job needs of its base before anything trains: the decoder's weights, its
 * directory's {@code tokenizer.json} and the EOS id every completion ends with. Checked at the
 * edge, so a node refuses a model it could never stop generating from, with the reason.
 *
 * @param directory the model's Hugging Face directory (a built-in decoder's own)
 */
public record DecoderBase(String model, Path directory, TransformerWeights weights, GenerationIds ids) {

    /** Whether {@code model} (a built-in name or a directory) is a decoder; reads only its config. */
    public static boolean isDecoder(TransformerWeights weights) {
        return weights.config().causal();
    }

    /** Loads {@code model}'s base, or throws with one line when it is not a usable decoder. */
    public static DecoderBase load(String model, TransformerWeights weights) throws IOException {
        Path dir = PretrainedModels.directoryOf(model).orElseThrow(() -> new IllegalArgumentException("model "
                + model + " is not a decoder directory"));
        if (!weights.config().causal()) {
            throw new IllegalArgumentException("model " + model + " is a " + weights.config().family()
                    + " encoder; a generation task needs a decoder (GPT-2 or Llama family)");
        }
        GenerationIds ids = GenerationIds.read(dir, weights.config().vocabSize());
        if (ids.eos() < 0) {
            throw new IllegalArgumentException(dir + ": the model has no eos_token_id (config.json or "
                    + GenerationIds.FILE_NAME + "); generation could never stop");
        }
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException("model directory " + dir + " has no tokenizer.json");
        }
        return new DecoderBase(model, dir, weights, ids);
    }

    /** The model's tokenizer; the caller closes it. Over-long inputs are refused, never cut silently. */
    public TextTokenizer openTokenizer() throws IOException {
        return TextTokenizer.fromFile(directory.resolve("tokenizer.json"), 1 << 16, TextTokenizer.Overflow.REJECT);
    }

    public long eosId() {
        return ids.eos();
    }
}
