package io.fedpipe.model;

import io.fedpipe.model.onnx.ImportedBert;
import io.fedpipe.model.onnx.MiniLmOnnxImporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * Pre-trained weights that ship with FedPipe through Maven Central, by name. Nothing is
 * downloaded: all-MiniLM-L6-v2 comes from the langchain4j embeddings jar on the classpath.
 */
public final class PretrainedModels {

    /** Names accepted by {@link #load(String)}. */
    public static final String MINILM_L6 = "minilm-l6";

    private PretrainedModels() {}

    public static TransformerWeights load(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        if (key.equals(MINILM_L6) || key.equals("all-minilm-l6-v2")) {
            return miniLmL6();
        }
        // Hugging Face directories are not loadable yet: do not suggest them.
        throw new IllegalArgumentException("unknown model '" + name + "'; built in: " + MINILM_L6);
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
