package io.fedpipe.model;

import io.fedpipe.core.TransformerConfig;
import io.fedpipe.core.HostTensor;
import io.fedpipe.model.onnx.ImportedBert;
import io.fedpipe.model.onnx.MiniLmOnnxImporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import io.fedpipe.model.hf.HfConfigs;
import io.fedpipe.model.hf.HfModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Pre-trained weights that ship with FedPipe through Maven Central, by name. Nothing is
 * downloaded: all-MiniLM-L6-v2 comes from the langchain4j embeddings jar on the classpath.
 */
public final class PretrainedModels {

    /** Names accepted by {@link #load(String)}. */
    public static final String MINILM_L6 = "minilm-l6";
    /**
     * FedPipe's own base decoder (Llama architecture, 6.5M parameters, pre-trained here: see
     * models/fedpipe-lm-small/MODEL_CARD.md), shipped in the repository under {@code models/}.
     */
    public static final String FEDPIPE_LM_SMALL = "fedpipe-lm-small";

    private PretrainedModels() {}

    /** A built-in model by name, or a Hugging Face model directory (BERT or GPT-2). */
    public static TransformerWeights load(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        if (key.equals(MINILM_L6) || key.equals("all-minilm-l6-v2")) {
            return miniLmL6();
        }
        if (key.equals(FEDPIPE_LM_SMALL)) {
            return fromDirectory(builtinDirectory(FEDPIPE_LM_SMALL));
        }
        Path dir = Path.of(name);
        if (Files.isDirectory(dir)) {
            return fromDirectory(dir);
        }
        throw new IllegalArgumentException("unknown model '" + name + "'; built in: " + MINILM_L6 + ", "
                + FEDPIPE_LM_SMALL + ", or give a Hugging Face model directory");
    }

    /**
     * The directory of a built-in model kept in the repository ({@code models/NAME} next to the
     * launcher, {@code fedpipe.home}, else under the working directory).
     */
    public static Path builtinDirectory(String name) {
        String home = System.getProperty("fedpipe.home");
        Path dir = (home != null ? Path.of(home) : Path.of("")).resolve("models").resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("built-in model " + name + " is not at " + dir.toAbsolutePath()
                    + " (run from the repository, or set -Dfedpipe.home)");
        }
        return dir;
    }

    /**
     * The Hugging Face directory a model name stands for: a built-in decoder's own directory, or
     * the directory given; empty for MiniLM, which is imported from ONNX.
     */
    public static java.util.Optional<Path> directoryOf(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        if (key.equals(FEDPIPE_LM_SMALL)) {
            return java.util.Optional.of(builtinDirectory(FEDPIPE_LM_SMALL));
        }
        return isDirectory(name) ? java.util.Optional.of(Path.of(name)) : java.util.Optional.empty();
    }

    /** Whether {@code name} names a model directory rather than a built-in model. */
    public static boolean isDirectory(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        return !key.equals(MINILM_L6) && !key.equals(FEDPIPE_LM_SMALL) && Files.isDirectory(Path.of(name));
    }

    /**
     * Reads {@code config.json} and the safetensors weights of a Hugging Face directory. Tensors
     * that are not part of the transformer itself (a {@code classifier.*} head) are ignored here.
     */
    public static TransformerWeights fromDirectory(Path dir) {
        try {
            // The config first: an unsupported model is refused before gigabytes of weights are read.
            Path configFile = dir.resolve(HfModelDirectory.CONFIG_FILE_NAME);
            if (Files.isRegularFile(configFile)) {
                HfConfigs.fromJson(new com.fasterxml.jackson.databind.ObjectMapper().readTree(configFile.toFile()),
                        configFile.toString());
            }
            HfModelDirectory d = HfModelDirectory.read(dir);
            TransformerConfig config = HfConfigs.fromJson(d.config(), configFile.toString());
            Map<String, HostTensor> tensors = new LinkedHashMap<>(d.weights());
            tensors.keySet().removeIf(k -> k.startsWith("classifier."));
            TransformerWeights weights = HfWeightNames.fromHf(config, tensors);
            requireFinite(dir, tensors);
            return weights;
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /**
     * A NaN or infinite weight (a diverged or corrupted checkpoint) would turn every output NaN
     * with no hint of where it came from; name the tensor instead. Quantizing refuses such values
     * too, but a float32 base is used as it is.
     */
    private static void requireFinite(Path dir, Map<String, HostTensor> tensors) {
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            float[] d = e.getValue().data();
            for (int i = 0; i < d.length; i++) {
                if (!Float.isFinite(d[i])) {
                    throw new IllegalArgumentException(dir + ": tensor '" + e.getKey() + "' holds " + d[i]
                            + " at element " + i + "; a model's weights must be finite");
                }
            }
        }
    }

    /** all-MiniLM-L6-v2, imported from its ONNX graph (22.7M parameters). */
    public static TransformerWeights miniLmL6() {
        try {
            ImportedBert imported = MiniLmOnnxImporter.loadWithConfig();
            return HfWeightNames.fromHf(imported.config(), imported.weights());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read all-MiniLM-L6-v2 from the classpath: " + e.getMessage(), e);
        }
    }
}
