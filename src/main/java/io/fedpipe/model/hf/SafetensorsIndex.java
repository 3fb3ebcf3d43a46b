package io.fedpipe.model.hf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The index of a sharded checkpoint, {@code model.safetensors.index.json}, as Hugging Face writes
 * it: {@code {"metadata": {"total_size": N}, "weight_map": {tensorName: shardFileName}}}.
 *
 * <p>{@code totalSize} is the sum of the tensors' data bytes; it is informative (Hugging Face does
 * not check it either) and {@code -1} when the file leaves it out. Shard names must be plain file
 * names in the index's own directory: an index cannot point outside it.
 */
public record SafetensorsIndex(long totalSize, Map<String, String> weightMap) {

    public static final String FILE_NAME = "model.safetensors.index.json";

    static final ObjectMapper PRETTY_JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public SafetensorsIndex {
        weightMap = Collections.unmodifiableMap(new LinkedHashMap<>(weightMap));
    }

    /** Reads and validates {@code indexFile}; does not open the shards. */
    public static SafetensorsIndex read(Path indexFile) throws IOException {
        JsonNode root;
        try {
            root = SafetensorsHeader.STRICT_JSON.readTree(Files.readAllBytes(indexFile));
        } catch (JsonProcessingException e) {
            throw SafetensorsHeader.bad(indexFile, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw SafetensorsHeader.bad(indexFile, "not a JSON object");
        }
        long totalSize = -1;
        JsonNode metadata = root.get("metadata");
        if (metadata != null && !metadata.isNull()) {
            JsonNode total = metadata.get("total_size");
            if (total != null && !total.isNull()) {
                if (!total.isIntegralNumber() || !total.canConvertToLong() || total.longValue() < 0) {
                    throw SafetensorsHeader.bad(indexFile, "metadata.total_size " + total
                            + " is not a non-negative integer");
                }
                totalSize = total.longValue();
            }
        }
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw SafetensorsHeader.bad(indexFile, "has no \"weight_map\" object");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            JsonNode shard = e.getValue();
            if (!shard.isTextual() || !isPlainFileName(shard.textValue())) {
                throw SafetensorsHeader.bad(indexFile, "weight_map entry for tensor '" + e.getKey() + "' is "
                        + shard + ", not the file name of a shard in the same directory");
            }
            weightMap.put(e.getKey(), shard.textValue());
        }
        return new SafetensorsIndex(totalSize, weightMap);
    }

    /** Writes this index, pretty-printed, to {@code indexFile}. */
    public void write(Path indexFile) throws IOException {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.putObject("metadata").put("total_size", totalSize);
        ObjectNode map = root.putObject("weight_map");
        weightMap.forEach(map::put);
        Files.write(indexFile, PRETTY_JSON.writeValueAsBytes(root));
    }

    static boolean isPlainFileName(String name) {
        return !name.isEmpty()
                && !name.equals(".")
                && !name.equals("..")
                && name.indexOf('/') < 0
                && name.indexOf('\\') < 0
                && name.indexOf('\0') < 0;
    }
}
