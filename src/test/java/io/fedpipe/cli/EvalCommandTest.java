package io.fedpipe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.data.E2eData;
import io.fedpipe.data.E2eInstance;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {

    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void scoresPredictionsAgainstJsonlReferences() throws IOException {
        Path predictions = write("pred.txt", "The Eagle is a coffee shop.\nAlimentum is not family-friendly.\n");
        Path references = write("refs.jsonl", "{\"references\":[\"The Eagle is a coffee shop.\"]}\n"
                + "{\"references\":[\"Alimentum is not family-friendly.\",\"Alimentum is for adults.\"]}\n");
        CliRun run = CliRun.of("eval", "--predictions", predictions.toString(), "--references", references.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("BLEU: 1.0000\nNIST: "), run.out());
        assertTrue(run.out().contains("ROUGE_L: 1.0000\n"), run.out());

        CliRun json = CliRun.of("eval", "--predictions", predictions.toString(), "--references", references.toString(),
                "--json");
        JsonNode node = new ObjectMapper().readTree(json.out());
        assertEquals(2, node.get("segments").asInt());
        assertEquals(1.0, node.get("bleu").asDouble(), 1e-9);
        assertEquals(1.0, node.get("rougeL").asDouble(), 1e-9);
        assertTrue(node.has("nist") && node.has("meteor") && node.has("cider"), json.out());
    }

    @Test
    void theE2eTestSetScoresItsFirstReferencesAsPredictions() throws IOException {
        List<E2eInstance> test = E2eData.testset().dataset().instances();
        StringBuilder lines = new StringBuilder();
        test.forEach(i -> lines.append(i.references().get(0)).append('\n'));
        CliRun run = CliRun.of("eval", "--predictions", write("first-refs.txt", lines.toString()).toString(),
                "--references", "e2e-test", "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode node = new ObjectMapper().readTree(run.out());
        assertEquals(630, node.get("segments").asInt());
        assertEquals(1.0, node.get("bleu").asDouble(), 1e-9, "each prediction is one of its references");
        assertEquals(1.0, node.get("rougeL").asDouble(), 1e-9);
    }

    @Test
    void mismatchedLineCountsAreOneInputError() throws IOException {
        Path predictions = write("pred.txt", "only one line\n");
        Path references = write("refs.jsonl", "{\"references\":[\"a\"]}\n{\"references\":[\"b\"]}\n");
        CliRun run = CliRun.of("eval", "--predictions", predictions.toString(), "--references", references.toString());
        CliRun.assertInputError(run, "pred.txt has 1 lines but", "refs.jsonl has 2 segments");
    }

    @Test
    void malformedReferencesAndMissingPredictionsAreInputErrors() throws IOException {
        Path predictions = write("pred.txt", "a\n");
        Path bad = write("bad.jsonl", "{\"references\":\"a\"}\n");
        CliRun.assertInputError(CliRun.of("eval", "--predictions", predictions.toString(), "--references",
                bad.toString()), "bad.jsonl", "line 1: field \"references\" must be an array of strings");
        Path good = write("good.jsonl", "{\"references\":[\"a\"]}\n");
        CliRun.assertInputError(CliRun.of("eval", "--predictions", dir.resolve("none.txt").toString(),
                "--references", good.toString()), "none.txt", "predictions file does not exist");
    }
}
