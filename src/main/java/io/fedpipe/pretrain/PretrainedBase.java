package io.fedpipe.pretrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.HostTensor;
import io.fedpipe.model.hf.HfModelDirectory;
import io.fedpipe.model.hf.SafetensorsDtype;
import io.fedpipe.model.hf.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Turns a pre-training checkpoint into a Hugging Face model directory: {@code config.json},
 * {@code model.safetensors}, {@code tokenizer.json} and {@code generation_config.json} (bos, eos
 * and pad are all {@code <|endoftext|>}, as for GPT-2).
 */
public final class PretrainedBase {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PretrainedBase() {}

    /** Writes the model directory; returns its config. */
    public static ObjectNode export(Path checkpoint, Path modelDir, byte[] tokenizerJson, int endOfText)
            throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(checkpoint.resolve("config.json").toFile());
        config.put("bos_token_id", endOfText);
        config.put("eos_token_id", endOfText);
        Map<String, HostTensor> weights = SafetensorsFile.read(checkpoint.resolve("model.safetensors"));
        // F16: half the bytes of the checkpoint, and a 6.5M-parameter model's weights (std ~0.02,
        // largest well under 65504) lose nothing that matters: logits agree to ~1e-3.
        HfModelDirectory.write(modelDir, config, weights, List.of(), Long.MAX_VALUE, SafetensorsDtype.F16);
        Files.write(modelDir.resolve(HfModelDirectory.TOKENIZER_FILE_NAME), tokenizerJson);
        ObjectNode generation = JSON.createObjectNode();
        generation.put("bos_token_id", endOfText);
        generation.put("eos_token_id", endOfText);
        generation.put("pad_token_id", endOfText);
        Files.writeString(modelDir.resolve("generation_config.json"), generation.toPrettyString() + "\n");
        return config;
    }
}
