package io.fedpipe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.model.HfWeightNames;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.model.hf.HfConfigs;
import io.fedpipe.model.hf.HfModelDirectory;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.tokenize.Gpt2TokenizerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train} on a decoder, {@code generate} and their refusals, end to end on a tiny random
 * Llama written as a Hugging Face directory (untied head, GQA, llama3 rope scaling) and a
 * prompt/completion task directory.
 */
class DecoderCommandsTest {

    private static final int MERGES = 300;
    private static final String[][] PAIRS = {
            {"sky =", " blue"}, {"grass =", " green"}, {"snow =", " white"}, {"coal =", " black"}};

    @TempDir
    static Path dir;

    static Path model;
    static Path task;

    @BeforeAll
    static void files() throws Exception {
        EngineSetup.start(1);
        model = dir.resolve("tiny-llama");
        TransformerConfig c = TransformerConfig.llama(257 + MERGES, 64, 2, 4, 2, 128, 64, 1e-5, 10000,
                new io.fedpipe.core.RopeScaling(io.fedpipe.core.RopeScaling.Type.LLAMA3, 2, 1, 4, 32), false, false);
        TransformerWeights w = io.fedpipe.model.TinyModels.randomWeights(c, 5, 0.3);
        var config = HfConfigs.toJson(c);
        config.put("eos_token_id", 256 + MERGES);
        HfModelDirectory.write(model, config, HfWeightNames.toHf(w), List.of(), Long.MAX_VALUE);
        Files.write(model.resolve("tokenizer.json"), Gpt2TokenizerBuilder.truncatedTokenizerJson(MERGES));
        task = dir.resolve("colours");
        Files.createDirectories(task);
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        List<String> test = new ArrayList<>();
        for (String[] p : PAIRS) {
            lines.add(json.createObjectNode().put("prompt", p[0]).put("completion", p[1]).toString());
            var t = json.createObjectNode().put("prompt", p[0]);
            t.putArray("references").add(p[1].strip());
            test.add(t.toString());
        }
        Files.write(task.resolve("train.jsonl"), lines);
        Files.write(task.resolve("validation.jsonl"), lines);
        Files.write(task.resolve("test.jsonl"), test);
    }

    @Test
    void trainFineTunesScoresAndExportsAMergedModelThatGeneratesTheSame() throws Exception {
        Path out = dir.resolve("run");
        CliRun r = CliRun.of("train", "--model", model.toString(), "--task", task.toString(), "--targets",
                "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj", "--bits", "int8", "--steps", "120",
                "--batch", "4", "--lr", "1e-2", "--beams", "1", "--max-new-tokens", "4", "--threads", "1",
                "--json", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonNode result = new ObjectMapper().readTree(r.out().lines().reduce((a, b) -> b).orElseThrow());
        assertTrue(result.get("validation_loss").asDouble() < 0.1, result.toString());
        assertTrue(result.get("base_validation_loss").asDouble() > 3, result.toString());
        assertEquals(1.0, result.path("metrics").path("bleu").asDouble(), 1e-9, "every prediction is its reference");
        assertEquals(List.of("blue", "green", "white", "black"), Files.readAllLines(out.resolve("predictions.txt")));
        JsonNode adapterConfig = new ObjectMapper().readTree(out.resolve("adapter/adapter_config.json").toFile());
        assertTrue(adapterConfig.path("target_modules").toString().contains("model.layers.0.mlp.gate_proj"),
                adapterConfig.toString());
        assertEquals("CAUSAL_LM", adapterConfig.path("task_type").asText());
        assertTrue(Files.isRegularFile(out.resolve("merged/tokenizer.json")));
        // The merged model alone (no adapter, fp32) generates what the adapted INT8 model did.
        CliRun g = CliRun.of("generate", "--model", out.resolve("merged").toString(), "--prompt", "grass =",
                "--max-new-tokens", "4", "--threads", "1");
        assertEquals(0, g.exitCode(), g.err());
        assertTrue(g.out().startsWith("grass = green"), g.out());
        // And the base with the PEFT adapter on an NF4 base.
        CliRun a = CliRun.of("generate", "--model", model.toString(), "--adapter", out.resolve("adapter").toString(),
                "--bits", "fp32", "--prompt", "coal =", "--max-new-tokens", "4", "--threads", "1");
        assertEquals(0, a.exitCode(), a.err());
        assertTrue(a.out().startsWith("coal = black"), a.out());
    }

    @Test
    void badInputsGetOneLine() throws Exception {
        Path bad = dir.resolve("bad-task");
        Files.createDirectories(bad);
        Files.writeString(bad.resolve("train.jsonl"), "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": 3}\n");
        Files.writeString(bad.resolve("validation.jsonl"), "{\"prompt\": \"a\", \"completion\": \"b\"}\n");
        Files.writeString(bad.resolve("test.jsonl"), "{\"prompt\": \"a\", \"references\": [\"b\"]}\n");
        CliRun.assertInputError(CliRun.of("train", "--model", model.toString(), "--task", bad.toString(), "--steps", "1"),
                "train.jsonl", "line 2");
        Path unknown = dir.resolve("unknown-type");
        Files.createDirectories(unknown);
        Files.writeString(unknown.resolve("config.json"), "{\"model_type\": \"mamba\"}");
        CliRun.assertInputError(CliRun.of("generate", "--model", unknown.toString(), "--prompt", "x"), "mamba");
        CliRun.assertInputError(CliRun.of("generate", "--model", model.toString(), "--prompt", String.join(" ", java.util.Collections.nCopies(80, "a")),
                "--max-new-tokens", "8"), "context");
    }
}
