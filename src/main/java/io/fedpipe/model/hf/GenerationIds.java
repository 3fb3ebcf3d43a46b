package io.fedpipe.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The special token ids generation needs, from {@code generation_config.json} when the directory
 * has one, else from {@code config.json} (Hugging Face's own precedence). A list-valued
 * {@code eos_token_id} (Llama 3) uses its first id.
 *
 * @param bos -1 when the model has none
 * @param eos -1 when the model has none (generation then stops only at the token limit)
 * @param pad falls back to eos, as Hugging Face's generate does
 */
public record GenerationIds(long bos, long eos, long pad) {

    public static final String FILE_NAME = "generation_config.json";

    public static GenerationIds read(Path dir, int vocabulary) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode config = json.readTree(dir.resolve(HfModelDirectory.CONFIG_FILE_NAME).toFile());
        Path genFile = dir.resolve(FILE_NAME);
        JsonNode gen = Files.isRegularFile(genFile) ? json.readTree(genFile.toFile()) : json.createObjectNode();
        long bos = id(gen, config, "bos_token_id", genFile, vocabulary);
        long eos = id(gen, config, "eos_token_id", genFile, vocabulary);
        long pad = id(gen, config, "pad_token_id", genFile, vocabulary);
        return new GenerationIds(bos, eos, pad >= 0 ? pad : eos);
    }

    private static long id(JsonNode gen, JsonNode config, String key, Path source, int vocabulary) {
        JsonNode n = gen.has(key) && !gen.get(key).isNull() ? gen.get(key) : config.get(key);
        if (n == null || n.isNull()) {
            return -1;
        }
        if (n.isArray() && n.size() > 0) {
            n = n.get(0);
        }
        if (!n.canConvertToLong() || n.asLong() < 0 || n.asLong() >= vocabulary) {
            throw new IllegalArgumentException(source.getParent() + ": " + key + " " + n + " is not a token id below "
                    + vocabulary);
        }
        return n.asLong();
    }
}
