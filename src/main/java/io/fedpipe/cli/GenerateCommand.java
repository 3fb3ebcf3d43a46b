package io.fedpipe.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.core.MatrixId;
import io.fedpipe.generate.DecodingSettings;
import io.fedpipe.generate.Generator;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.model.CausalLm;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.model.hf.GenerationIds;
import io.fedpipe.quant.BaseQuantization;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.tokenize.TextTokenizer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedpipe generate}: completions from a decoder (with a PEFT adapter, on any base format). */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate completions with a decoder: a built-in model (fedpipe-lm-small) or a Hugging Face "
                + "GPT-2/Llama directory, optionally with a PEFT adapter on a quantized base.")
final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--model", defaultValue = "fedpipe-lm-small", description = "Model. Default: ${DEFAULT-VALUE}")
    String model;

    @Option(names = "--adapter", description = "A PEFT adapter directory (adapter_config.json, adapter_model.safetensors) written by FedPipe.")
    Path adapter;

    static final class Input {
        @Option(names = "--prompt", description = "One prompt.")
        String prompt;

        @Option(names = "--input", description = "A JSONL file with one {\"prompt\": ...} per line.")
        Path input;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--output", description = "Write one JSON line {prompt, completion} per prompt here instead of printing.")
    Path output;

    @Option(names = "--bits", defaultValue = "fp32", description = "Base storage: fp32, bf16, fp16, int8, nf4. Default: ${DEFAULT-VALUE}")
    String bits;

    @Option(names = "--beams", defaultValue = "1", description = "Beam width (1 = greedy). Default: ${DEFAULT-VALUE}")
    int beams;

    @Option(names = "--length-penalty", defaultValue = "1.0", description = "Default: ${DEFAULT-VALUE}")
    double lengthPenalty;

    @Option(names = "--no-repeat-ngram", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}")
    int noRepeatNgram;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}")
    int maxNewTokens;

    @Option(names = "--threads", defaultValue = "0", description = "Intra-op threads (0 = all cores).")
    int threads;

    @Spec
    CommandSpec command;

    /** The {@code prompt} of every line; a line without one is an error naming the line. */
    static List<String> readPrompts(Path file) throws java.io.IOException {
        List<String> prompts = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        int lineNumber = 0;
        for (String line : Files.readAllLines(file)) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            com.fasterxml.jackson.databind.JsonNode node;
            try {
                node = json.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException(file + ":" + lineNumber + ": not valid JSON: " + e.getOriginalMessage());
            }
            if (node == null || !node.path("prompt").isTextual()) {
                throw new IllegalArgumentException(file + ":" + lineNumber + ": no string field \"prompt\"");
            }
            prompts.add(node.get("prompt").asText());
        }
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException(file + ": no prompts");
        }
        return prompts;
    }

    @Override
    public Integer call() throws Exception {
        Path dir = PretrainedModels.directoryOf(model).orElseThrow(() -> new IllegalArgumentException(
                "generate needs a decoder: fedpipe-lm-small or a Hugging Face GPT-2/Llama directory, got " + model));
        TransformerWeights weights = PretrainedModels.load(model);
        if (!weights.config().causal()) {
            throw new IllegalArgumentException(model + " is an encoder (" + weights.config().family()
                    + "); generate needs a decoder");
        }
        GenerationIds ids = GenerationIds.read(dir, weights.config().vocabSize());
        List<String> prompts = new ArrayList<>();
        if (input.prompt != null) {
            prompts.add(input.prompt);
        } else {
            prompts.addAll(readPrompts(input.input));
        }
        EngineSetup.start(threads == 0 ? Runtime.getRuntime().availableProcessors() : threads);
        LoraConfig lora = null;
        java.util.Map<MatrixId, PeftAdapters.Adapter> adapters = null;
        if (adapter != null) {
            PeftAdapters.Loaded loaded = PeftAdapters.read(adapter, weights.config());
            lora = loaded.lora();
            adapters = loaded.adapters();
        }
        FrozenWeightFactory freezer = BaseQuantization.factory(bits);
        PrintWriter out = command.commandLine().getOut();
        DecodingSettings settings = new DecodingSettings(maxNewTokens, beams, lengthPenalty, noRepeatNgram, ids.eos());
        try (TextTokenizer tokenizer = TextTokenizer.fromFile(dir.resolve("tokenizer.json"), 1 << 16,
                        TextTokenizer.Overflow.REJECT);
                NDManager manager = NDManager.newBaseManager();
                TransformerModel m = TransformerModel.create(manager, weights, lora, freezer, 0)) {
            if (adapters != null) {
                for (var e : adapters.entrySet()) {
                    m.linear(e.getKey()).setAdapter(e.getValue().a(), e.getValue().b());
                }
            }
            List<long[]> encoded = new ArrayList<>();
            for (String p : prompts) {
                encoded.add(tokenizer.encode(p).ids());
            }
            long t0 = System.nanoTime();
            List<Generator.Output> outs = new Generator(new CausalLm(m)).generate(manager, encoded, settings);
            double seconds = (System.nanoTime() - t0) / 1e9;
            long tokens = outs.stream().mapToLong(o -> o.ids().length).sum();
            List<String> lines = new ArrayList<>();
            ObjectMapper json = new ObjectMapper();
            for (int i = 0; i < prompts.size(); i++) {
                String completion = tokenizer.decode(outs.get(i).ids(), true);
                if (output != null) {
                    ObjectNode o = json.createObjectNode();
                    o.put("prompt", prompts.get(i));
                    o.put("completion", completion);
                    lines.add(o.toString());
                } else {
                    out.println(prompts.get(i) + completion);
                }
            }
            if (output != null) {
                Files.write(output, lines);
                out.println("wrote " + prompts.size() + " completions to " + output);
            }
            out.printf(Locale.ROOT, "%,d tokens in %.2f s: %,.1f tokens/s (%s, %d beam%s)%n", tokens, seconds,
                    tokens / seconds, bits, beams, beams == 1 ? "" : "s");
        }
        out.flush();
        return 0;
    }

}
