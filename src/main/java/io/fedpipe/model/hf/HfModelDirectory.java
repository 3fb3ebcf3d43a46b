package io.fedpipe.model.hf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model in the Hugging Face directory layout: {@code config.json}, weights in
 * {@code model.safetensors} or in shards listed by {@code model.safetensors.index.json}, and the
 * tokenizer files.
 *
 * <p>Reading looks for the single weights file first and the index second (the order
 * {@code transformers} uses) and fails with a message naming the directory and both names when
 * neither is there. The config is kept as JSON: this class knows no architecture, and weights keep
 * the names the file gives them. Tokenizer files ({@link #TOKENIZER_FILE_NAMES}) are not parsed,
 * only located so that writing can copy them along.
 *
 * <p>Writing puts {@code config.json} (pretty-printed), the weights as F32, or F16 / BF16 when asked
 * (one file, or shards of at most {@code maxShardBytes} of data each, replacing any weights files
 * there before) with {@code {"format": "pt"}} metadata as {@code transformers} expects, and copies
 * the tokenizer files. Writing in a chosen dtype also sets the config's {@code torch_dtype} to it,
 * which is what {@code from_pretrained(torch_dtype="auto")} loads the weights as.
 */
public final class HfModelDirectory {

    public static final String CONFIG_FILE_NAME = "config.json";
    public static final String WEIGHTS_FILE_NAME = "model.safetensors";
    public static final String TOKENIZER_FILE_NAME = "tokenizer.json";
    /** Tokenizer files (and the generation config) carried along unchanged when a model is written. */
    public static final List<String> TOKENIZER_FILE_NAMES =
            List.of(TOKENIZER_FILE_NAME, "tokenizer_config.json", "special_tokens_map.json", GenerationIds.FILE_NAME);
    /** The metadata {@code transformers} checks for before loading safetensors weights into PyTorch. */
    public static final Map<String, String> WEIGHTS_METADATA = Map.of("format", "pt");

    private static final String WEIGHTS_BASE_NAME = "model";

    /** Python's json module writes NaN and Infinity into configs; accept them. */
    private static final ObjectMapper CONFIG_JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final Path directory;
    private final ObjectNode config;
    private final Map<String, HostTensor> weights;
    private final List<Path> tokenizerFiles;

    private HfModelDirectory(Path directory, ObjectNode config, LinkedHashMap<String, HostTensor> weights,
            List<Path> tokenizerFiles) {
        this.directory = directory;
        this.config = config;
        this.weights = Collections.unmodifiableMap(weights);
        this.tokenizerFiles = List.copyOf(tokenizerFiles);
    }

    /** Reads config, all weights (widened to float32) and the tokenizer file locations of {@code dir}. */
    public static HfModelDirectory read(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new ModelFileFormatException(dir + ": not a directory");
        }
        ObjectNode config = readConfig(dir.resolve(CONFIG_FILE_NAME));
        LinkedHashMap<String, HostTensor> weights = readWeights(dir);
        List<Path> tokenizerFiles = new ArrayList<>();
        for (String name : TOKENIZER_FILE_NAMES) {
            Path f = dir.resolve(name);
            if (Files.isRegularFile(f)) {
                tokenizerFiles.add(f);
            }
        }
        return new HfModelDirectory(dir, config, weights, tokenizerFiles);
    }

    /**
     * Writes a model directory; returns the files written (config, weights, tokenizer files).
     *
     * @param tokenizerFiles files copied into {@code dir} under their own names
     * @param maxShardBytes largest data size of one weights file before the weights are sharded
     */
    public static List<Path> write(Path dir, JsonNode config, Map<String, HostTensor> weights,
            Collection<Path> tokenizerFiles, long maxShardBytes) throws IOException {
        requireObject(config);
        return write(dir, config, weights, tokenizerFiles, maxShardBytes, SafetensorsDtype.F32, false);
    }

    /**
     * Writes a model directory with its weights stored as {@code dtype} (F32, F16 or BF16) and
     * {@code config.json}'s {@code torch_dtype} set to match ({@code config} itself is not changed).
     */
    public static List<Path> write(Path dir, JsonNode config, Map<String, HostTensor> weights,
            Collection<Path> tokenizerFiles, long maxShardBytes, SafetensorsDtype dtype) throws IOException {
        requireObject(config);
        return write(dir, config, weights, tokenizerFiles, maxShardBytes, dtype, true);
    }

    /** The {@code torch_dtype} name of a float dtype FedPipe writes. */
    public static String torchDtype(SafetensorsDtype dtype) {
        return switch (dtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> throw new IllegalArgumentException("weights can be written as F32, F16 or BF16, not " + dtype);
        };
    }

    private static void requireObject(JsonNode config) {
        if (!config.isObject()) {
            throw new IllegalArgumentException("config must be a JSON object, got " + config.getNodeType());
        }
    }

    private static List<Path> write(Path dir, JsonNode config, Map<String, HostTensor> weights,
            Collection<Path> tokenizerFiles, long maxShardBytes, SafetensorsDtype dtype, boolean setTorchDtype)
            throws IOException {
        if (setTorchDtype) {
            ObjectNode withDtype = ((ObjectNode) config).deepCopy();
            withDtype.put("torch_dtype", torchDtype(dtype));
            config = withDtype;
        }
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        Path configFile = dir.resolve(CONFIG_FILE_NAME);
        Files.writeString(configFile, SafetensorsIndex.PRETTY_JSON.writeValueAsString(config) + "\n");
        written.add(configFile);
        written.addAll(ShardedSafetensors.write(dir, WEIGHTS_BASE_NAME, weights, WEIGHTS_METADATA, maxShardBytes,
                dtype));
        for (Path source : tokenizerFiles) {
            Path target = dir.resolve(source.getFileName().toString());
            if (!Files.exists(target) || !Files.isSameFile(source, target)) {
                Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
            }
            written.add(target);
        }
        return written;
    }

    /** Writes this model, with its tokenizer files, to {@code dir}. */
    public List<Path> writeTo(Path dir, long maxShardBytes) throws IOException {
        return write(dir, config, weights, tokenizerFiles, maxShardBytes);
    }

    /** Writes this model, with its tokenizer files, to {@code dir} with the weights as {@code dtype}. */
    public List<Path> writeTo(Path dir, long maxShardBytes, SafetensorsDtype dtype) throws IOException {
        return write(dir, config, weights, tokenizerFiles, maxShardBytes, dtype);
    }

    public Path directory() {
        return directory;
    }

    /** A copy of {@code config.json}; changing it changes nothing here. */
    public ObjectNode config() {
        return config.deepCopy();
    }

    /** All weights by name, in file order (shard by shard for sharded checkpoints); unmodifiable. */
    public Map<String, HostTensor> weights() {
        return weights;
    }

    /** {@code tokenizer.json}, if the directory has one. */
    public Optional<Path> tokenizerJson() {
        return tokenizerFiles.stream()
                .filter(f -> f.getFileName().toString().equals(TOKENIZER_FILE_NAME))
                .findFirst();
    }

    /** The tokenizer files present, among {@link #TOKENIZER_FILE_NAMES}. */
    public List<Path> tokenizerFiles() {
        return tokenizerFiles;
    }

    private static ObjectNode readConfig(Path configFile) throws IOException {
        if (!Files.isRegularFile(configFile)) {
            throw new ModelFileFormatException(configFile.getParent() + ": no " + CONFIG_FILE_NAME
                    + " (a Hugging Face model directory needs one)");
        }
        JsonNode node;
        try {
            node = CONFIG_JSON.readTree(Files.readAllBytes(configFile));
        } catch (JsonProcessingException e) {
            throw new ModelFileFormatException(configFile + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new ModelFileFormatException(configFile + ": not a JSON object");
        }
        return (ObjectNode) node;
    }

    private static LinkedHashMap<String, HostTensor> readWeights(Path dir) throws IOException {
        Path single = dir.resolve(WEIGHTS_FILE_NAME);
        if (Files.isRegularFile(single)) {
            return SafetensorsFile.read(single);
        }
        Path index = dir.resolve(SafetensorsIndex.FILE_NAME);
        if (Files.isRegularFile(index)) {
            return ShardedSafetensors.read(index);
        }
        String hint = Files.exists(dir.resolve("pytorch_model.bin"))
                ? "; it has pytorch_model.bin, which FedPipe does not read (convert it to safetensors)"
                : "";
        throw new ModelFileFormatException(dir + ": no weights: looked for " + WEIGHTS_FILE_NAME + " and "
                + SafetensorsIndex.FILE_NAME + hint);
    }
}
