package io.fedpipe.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.lora.LoraLinear;
import io.fedpipe.lora.LoraMath;
import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.model.BlockWeights;
import io.fedpipe.model.HfWeightNames;
import io.fedpipe.core.HostTensor;
import io.fedpipe.model.LinearWeights;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.model.hf.HfConfigs;
import io.fedpipe.model.hf.HfModelDirectory;
import io.fedpipe.model.onnx.MiniLmOnnxImporter;
import io.fedpipe.tokenize.TextTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes a fine-tuned classifier: {@code merged/} (Hugging Face layout, adapters folded into
 * the UNquantized base so the model is as exact and as fast as the original) and
 * {@code adapter/} (PEFT layout: the adapters and the classifier head only).
 */
public final class FineTuneExport {

    private FineTuneExport() {}

    /** Host copies of every adapter of {@code model}. */
    public static Map<MatrixId, PeftAdapters.Adapter> adapters(TransformerModel model) {
        Map<MatrixId, PeftAdapters.Adapter> out = new TreeMap<>();
        for (MatrixId id : model.adaptedMatrices()) {
            LoraLinear l = model.linear(id);
            out.put(id, new PeftAdapters.Adapter(l.hostA(), l.hostB()));
        }
        return out;
    }

    /** {@code base} with every adapter folded in: {@code W + (α/r)·B·A}. */
    public static TransformerWeights merge(TransformerWeights base, Map<MatrixId, PeftAdapters.Adapter> adapters,
            LoraConfig lora) {
        List<BlockWeights> blocks = new ArrayList<>();
        for (int i = 0; i < base.blocks().size(); i++) {
            BlockWeights b = base.blocks().get(i);
            Map<io.fedpipe.core.LoraTarget, LinearWeights> linears = new EnumMap<>(io.fedpipe.core.LoraTarget.class);
            for (var e : b.linears().entrySet()) {
                MatrixId id = new MatrixId(i, e.getKey());
                PeftAdapters.Adapter a = adapters.get(id);
                HostTensor w = a == null ? e.getValue().weight() : LoraMath.merge(e.getValue().weight(), a.a(), a.b(), lora.scale(id));
                linears.put(e.getKey(), new LinearWeights(w, e.getValue().bias()));
            }
            blocks.add(new BlockWeights(linears, b.norm1Gain(), b.norm1Bias(), b.norm2Gain(), b.norm2Bias()));
        }
        return new TransformerWeights(base.config(), base.wordEmbeddings(), base.positionEmbeddings(),
                base.typeEmbeddings(), base.embeddingNormGain(), base.embeddingNormBias(), blocks, base.finalNormGain(),
                base.finalNormBias(), base.lmHead());
    }

    /**
     * Creates the output directory up front, so that an unusable {@code --out} fails before
     * training rather than after it.
     */
    static void prepare(Path out) throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + " exists and is not a directory");
        }
        Files.createDirectories(out);
    }

    static Path write(FineTuneSpec spec, SequenceClassifier classifier, LoraConfig lora, List<String> labels,
            TextTokenizer tokenizer) throws IOException {
        Path out = spec.out();
        Files.createDirectories(out);
        Map<String, HostTensor> head = new LinkedHashMap<>();
        head.put("classifier.weight", classifier.hostHeadWeight());
        head.put("classifier.bias", classifier.hostHeadBias());
        writeClassifier(out.resolve("merged"), out.resolve("adapter"), spec.model(), adapters(classifier.encoder()),
                head, lora, labels);
        return out;
    }

    /**
     * Writes a LoRA classifier given as host tensors (e.g. a federated job's global model):
     * {@code mergedDir} in Hugging Face layout, the adapters folded into the unquantized base
     * re-read from {@code model}; {@code adapterDir} in PEFT layout (adapters and head).
     *
     * @param head   {@code classifier.weight} and {@code classifier.bias}
     * @param lora   the ranks and α the adapters are applied with (scale α/r each)
     * @param labels label names by class index
     */
    public static void writeClassifier(Path mergedDir, Path adapterDir, String model,
            Map<MatrixId, PeftAdapters.Adapter> adapters, Map<String, HostTensor> head, LoraConfig lora,
            List<String> labels) throws IOException {
        // merged/: the unquantized base re-read from its source, adapters folded in on the host.
        TransformerWeights merged = merge(PretrainedModels.load(model), adapters, lora);
        Map<String, HostTensor> tensors = new LinkedHashMap<>(HfWeightNames.toHf(merged));
        tensors.putAll(head);
        ObjectNode config = HfConfigs.toJson(merged.config());
        config.putArray("architectures").add("FedPipeMeanPoolClassifier");
        config.put("fedpipe_pooling", "mean");
        ObjectNode id2label = config.putObject("id2label");
        ObjectNode label2id = config.putObject("label2id");
        for (int i = 0; i < labels.size(); i++) {
            id2label.put(Integer.toString(i), labels.get(i));
            label2id.put(labels.get(i), i);
        }
        if (PretrainedModels.isDirectory(model)) {
            // The user's own model directory: keep its tokenizer files with the merged model.
            List<Path> tokenizerFiles = HfModelDirectory.read(Path.of(model)).tokenizerFiles();
            HfModelDirectory.write(mergedDir, config, tensors, tokenizerFiles, Long.MAX_VALUE);
        } else {
            Files.createDirectories(mergedDir.getParent());
            Path named = mergedDir.resolveSibling(HfModelDirectory.TOKENIZER_FILE_NAME);
            try (InputStream in = FineTuneExport.class.getClassLoader()
                    .getResourceAsStream(MiniLmOnnxImporter.TOKENIZER_RESOURCE)) {
                if (in == null) {
                    throw new IOException("tokenizer resource " + MiniLmOnnxImporter.TOKENIZER_RESOURCE
                            + " is not on the classpath");
                }
                Files.copy(in, named, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            HfModelDirectory.write(mergedDir, config, tensors, List.of(named), Long.MAX_VALUE);
            Files.delete(named);
        }

        // adapter/: PEFT layout.
        Files.createDirectories(adapterDir);
        io.fedpipe.model.hf.SafetensorsFile.write(adapterDir.resolve("adapter_model.safetensors"),
                PeftAdapters.tensors(merged.config().family(), adapters, lora, head), Map.of("format", "pt"));
        ObjectNode adapterConfig = PeftAdapters.config(merged.config().family(), lora, model, "SEQ_CLS",
                Set.of("classifier"));
        Files.writeString(adapterDir.resolve("adapter_config.json"),
                adapterConfig.toPrettyString() + System.lineSeparator());
    }
}
