package io.fedpipe.cli;

import static io.fedpipe.cli.CliRun.assertInputError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.train.ThreeTopicTask;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code fedpipe} command line as a user meets it: bad input gives exit code 2 and one line
 * {@code fedpipe: <problem>} on stderr naming what is wrong, never a stack trace, and fails
 * before any model is trained.
 */
class FedPipeCliTest {

    @TempDir
    static Path dir;

    private static String task;

    @BeforeAll
    static void writeTask() throws IOException {
        task = ThreeTopicTask.write(dir.resolve("task"), 24, 9, 3).toString();
    }

    private static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    private static CliRun train(String... args) {
        List<String> all = new ArrayList<>(List.of("train", "--json"));
        all.addAll(List.of(args));
        return cli(all.toArray(String[]::new));
    }

    @Test
    void unknownModelIsNamed() {
        assertInputError(train("--task", task, "--model", "gpt-5"), "unknown model 'gpt-5'", "minilm-l6");
    }

    @Test
    void unknownBitWidthIsNamedWithTheValidOnes() {
        assertInputError(train("--task", task, "--bits", "int3"), "--bits", "'int3'", "nf4");
    }

    @Test
    void unknownTargetIsNamed() {
        assertInputError(train("--task", task, "--targets", "q,z"), "unknown LoRA target 'z'", "ffn_in");
    }

    @Test
    void taskDirectoryWithoutTrainJsonlNamesTheFile() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("no-train"));
        Files.writeString(empty.resolve("validation.jsonl"), "{\"text\": \"a cat\", \"label\": \"animals\"}\n");
        assertInputError(train("--task", empty.toString()), empty.toString(), "train.jsonl");
    }

    @Test
    void missingTaskDirectoryIsNamed() {
        String missing = dir.resolve("nowhere").toString();
        assertInputError(train("--task", missing), "unknown task '" + missing + "'", "train.jsonl");
    }

    @Test
    void malformedTrainJsonlNamesTheFileAndLine() throws IOException {
        Path bad = Files.createDirectories(dir.resolve("bad-json"));
        Files.writeString(bad.resolve("train.jsonl"), "{\"text\": \"a cat\", \"label\": \"animals\"}\nnot json\n");
        Files.writeString(bad.resolve("validation.jsonl"), "{\"text\": \"a dog\", \"label\": \"animals\"}\n");
        assertInputError(train("--task", bad.toString()), bad.resolve("train.jsonl").toString(), "line 2");
    }

    @Test
    void negativeStepsAreRefused() {
        assertInputError(train("--task", task, "--steps", "-5"), "--steps must be positive: -5");
    }

    @Test
    void rankZeroIsRefused() {
        assertInputError(train("--task", task, "--rank", "0"), "--rank must be positive: 0");
    }

    @Test
    void outputPathThatIsAFileIsRefusedBeforeTraining() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertInputError(train("--task", task, "--out", file.toString()), "--out " + file, "not a directory");
    }

    @Test
    void malformedNumberGivesOneLineWithTheOptionAndWhereToLook() {
        assertInputError(train("--steps", "many"), "--steps", "'many'", "fedpipe train --help");
    }

    @Test
    void unknownOptionGivesOneLine() {
        assertInputError(train("--epochs", "3"), "--epochs");
    }

    @Test
    void helpExitsZeroAndDescribesTheFlags() {
        // picocli reports a broken description (e.g. a lone '%') on System.err, not on our writer.
        ByteArrayOutputStream picocliWarnings = new ByteArrayOutputStream();
        PrintStream systemErr = System.err;
        CliRun o;
        try {
            System.setErr(new PrintStream(picocliWarnings, true, StandardCharsets.UTF_8));
            o = cli("train", "--help");
        } finally {
            System.setErr(systemErr);
        }
        assertEquals("", picocliWarnings.toString(StandardCharsets.UTF_8));
        assertEquals(0, o.exitCode());
        assertTrue(o.out().contains("(default: 6% of steps)"), o.out());
        assertTrue(o.out().contains("--bits") && o.out().contains("nf4"), o.out());
        assertTrue(o.out().contains("--targets") && o.out().contains("--out"), o.out());
        assertEquals("", o.err());
        CliRun top = cli("--help");
        assertEquals(0, top.exitCode());
        assertTrue(top.out().contains("train") && top.out().contains("info"), top.out());
    }

    @Test
    void missingFilesAreInputErrorsNamingThePath() {
        NoSuchFileException missing = new NoSuchFileException("/data/train.jsonl", null, "dataset file does not exist");
        assertEquals(CliErrors.INPUT, CliErrors.exitCode(missing));
        assertEquals("/data/train.jsonl: dataset file does not exist", CliErrors.message(missing));
        UncheckedIOException wrapped = new UncheckedIOException(new NoSuchFileException("/m/config.json"));
        assertEquals(CliErrors.INPUT, CliErrors.exitCode(wrapped));
        assertEquals("/m/config.json: no such file or directory", CliErrors.message(wrapped));
        // A resource missing from our own jar is a broken install, not the user's input.
        UncheckedIOException internal = new UncheckedIOException("cannot read all-MiniLM-L6-v2", new IOException("x"));
        assertEquals(CliErrors.FAILURE, CliErrors.exitCode(internal));
        assertEquals(CliErrors.FAILURE, CliErrors.exitCode(new IllegalStateException("bug")));
    }

    @Test
    void shortRunPrintsItsMetricsAsJson() throws IOException {
        CliRun o = train("--task", task, "--steps", "2", "--batch", "8", "--max-length", "32", "--rank", "2",
                "--targets", "q", "--eval-examples", "0");
        assertEquals(0, o.exitCode(), o.err());
        JsonNode result = new ObjectMapper().readTree(o.out());
        assertEquals(2, result.path("steps").asInt());
        assertEquals(3, result.path("classes").asInt());
        assertEquals(9, result.path("evaluated").asInt());
        assertEquals("fp32", result.path("bits").asText());
        // Rank-2 adapters on q of 6 layers ([2,384] + [384,2] each) plus the [3,384] head and bias.
        assertEquals(6 * 2 * 2 * 384 + 3 * 384 + 3, result.path("trainableParameters").asLong());
        assertTrue(result.path("outputDirectory").isNull());
    }
}
