package io.fedpipe.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.HostTensor;
import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.model.HfWeightNames;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.model.hf.HfModelDirectory;
import io.fedpipe.model.hf.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Writes a fine-tuned decoder: {@code merged/} in the source's Hugging Face layout (its own
 * {@code config.json}, tensor names, storage type, tokenizer and generation config, the adapters
 * folded into the unquantized base), and {@code adapter/} in PEFT layout with Hugging Face module
 * names.
 */
public final class CausalLmExport {

    private CausalLmExport() {}

    /**
     * @param source the model directory the base came from (config, tokenizer and generation config
     *               are copied from it)
     * @param base   the unquantized base, re-read from {@code source}
     */
    public static void write(Path out, Path source, String modelName, TransformerWeights base,
            Map<MatrixId, PeftAdapters.Adapter> adapters, LoraConfig lora) throws IOException {
        HfModelDirectory src = HfModelDirectory.read(source);
        TransformerWeights merged = FineTuneExport.merge(base, adapters, lora);
        Map<String, HostTensor> tensors = HfWeightNames.toHf(merged);
        ObjectNode config = src.config().deepCopy();
        // The source's own storage type (an F16 checkpoint stays F16), as save_pretrained keeps it.
        io.fedpipe.model.hf.SafetensorsDtype dtype = switch (config.path("torch_dtype").asText("float32")) {
            case "float16" -> io.fedpipe.model.hf.SafetensorsDtype.F16;
            case "bfloat16" -> io.fedpipe.model.hf.SafetensorsDtype.BF16;
            default -> io.fedpipe.model.hf.SafetensorsDtype.F32;
        };
        HfModelDirectory.write(out.resolve("merged"), config, tensors, src.tokenizerFiles(), Long.MAX_VALUE, dtype);
        Path adapterDir = out.resolve("adapter");
        Files.createDirectories(adapterDir);
        SafetensorsFile.write(adapterDir.resolve("adapter_model.safetensors"),
                PeftAdapters.tensors(base.config().family(), adapters, lora, Map.of()), Map.of("format", "pt"));
        ObjectNode adapterConfig = PeftAdapters.config(base.config().family(), lora, modelName, "CAUSAL_LM", Set.of());
        Files.writeString(adapterDir.resolve("adapter_config.json"),
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(adapterConfig) + "\n");
    }
}
