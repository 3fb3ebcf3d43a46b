package io.fedpipe.report;

import static io.fedpipe.report.RunLogs.node;
import static io.fedpipe.report.RunLogs.round;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a run log: typed values, unknown fields ignored, and one-line errors naming file and line. */
class RunLogTest {

    @TempDir
    Path dir;

    private static final String START = round("fedpipe", "hetero", 0, 0.2, 0.1, 0);
    private static final String ONE = round("fedpipe", "hetero", 1, 0.5, 0.4, 12.5, node("edge-1", 147456, 600000, 500000, 123456789));

    @Test
    void readsTypedRoundsAndIgnoresUnknownFields() throws IOException {
        String extra = ONE.replace("\"round\":1,", "\"round\":1,\"futureField\":[1,2],")
                .replace("\"lastLoss\":1.25", "\"lastLoss\":\"NaN\",\"gpu\":\"none\"");
        RunLog log = RunLog.read(RunLogs.write(dir, "a.jsonl", START, "", extra));
        assertEquals("fedpipe", log.method());
        assertEquals("hetero", log.setting());
        assertEquals("emulated", log.time());
        assertEquals("hetero-fedpipe.conf", log.experiment());
        assertEquals(2, log.rounds().size());
        assertEquals(0, log.rounds().get(0).nodes().size());
        RunLog.Round r = log.last();
        assertEquals(12.5, r.elapsedSeconds());
        RunLog.NodeRound n = r.nodes().get("edge-1");
        assertEquals(147456, n.trainableParameters());
        assertEquals(600000, n.bytesUp());
        assertEquals(500000, n.bytesDown());
        assertEquals(123456789, n.peakMemoryBytes());
        assertEquals("nf4", n.bits());
        assertEquals(8, n.rank());
        assertTrue(Double.isNaN(n.lastLoss()));
    }

    @Test
    void malformedLineIsNamed() throws IOException {
        Path file = RunLogs.write(dir, "bad.jsonl", START, ONE.substring(0, 40));
        RunLogFormatException e = assertThrows(RunLogFormatException.class, () -> RunLog.read(file));
        assertTrue(e.getMessage().startsWith(file + ":2: malformed JSON"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void missingFieldsAreNamedWithTheirLine() throws IOException {
        assertError(":2: missing field 'accuracy'", START, ONE.replace("\"accuracy\":0.5,", ""));
        assertError(":2: missing field 'nodes.edge-1.peakMemoryBytes'", START, ONE.replace(",\"peakMemoryBytes\":123456789", ""));
        assertError(":1: missing field 'setting'", START.replace("\"setting\":\"hetero\",", ""));
        assertError(":2: missing field 'nodes' (required from round 1 on)", START, ONE.replaceAll(",\"nodes\":\\{.*}}$", "}"));
    }

    @Test
    void inconsistentLinesAreRefused() throws IOException {
        assertError(":2: round 1 where round 0 was expected", "", ONE);
        assertError(":2: experiment, method, setting and time must be the same", START, ONE.replace("\"method\":\"fedpipe\"", "\"method\":\"hetlora\""));
        assertError(":2: field 'accuracy' must be in [0, 1]: 1.5", START, ONE.replace("\"accuracy\":0.5", "\"accuracy\":1.5"));
        assertError(":2: field 'nodes.edge-1.bytesUp' must be an integer >= 0: -3", START, ONE.replace("\"bytesUp\":600000", "\"bytesUp\":-3"));
        assertError(":3: elapsedSeconds goes back in time", START, ONE,
                round("fedpipe", "hetero", 2, 0.5, 0.4, 10, node("edge-1", 1, 1, 1, -1)));
        assertError(":1: not a JSON object", "[1, 2]");
        assertError(": empty run log", "", "  ");
    }

    @Test
    void missingFileSaysSo() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> RunLog.read(dir.resolve("nope.jsonl")));
        assertEquals("no such run log", e.getReason());
    }

    private void assertError(String expected, String... lines) throws IOException {
        Path file = RunLogs.write(dir, "log.jsonl", lines);
        RunLogFormatException e = assertThrows(RunLogFormatException.class, () -> RunLog.read(file));
        assertTrue(e.getMessage().startsWith(file + expected), e.getMessage());
    }

    @Test
    void aCausalLmLogIsScoredByBleuAndItsFinalLineHoldsTheTestSetScores() throws IOException {
        String r0 = START.replace("\"accuracy\":0.2,\"macroF1\":0.1,", "\"validationLoss\":6.5,\"bleu\":0.002,");
        String r1 = ONE.replace("\"accuracy\":0.5,\"macroF1\":0.4,", "\"validationLoss\":3.1,\"bleu\":0.31,");
        String fin = "{\"experiment\":\"hetero-fedpipe.conf\",\"method\":\"fedpipe\",\"setting\":\"hetero\","
                + "\"time\":\"emulated\",\"final\":{\"prompts\":630,\"bleu\":0.42,\"cider\":0.9,\"base_bleu\":0.003}}";
        RunLog log = RunLog.read(RunLogs.write(dir, "llm.jsonl", r0, r1, fin));
        assertEquals("bleu", log.score());
        assertEquals(2, log.rounds().size());
        assertEquals(0.31, log.last().accuracy());
        assertTrue(Double.isNaN(log.last().macroF1()));
        assertEquals(0.42, log.finalScores().get("bleu"));
        assertEquals(630.0, log.finalScores().get("prompts"));
        assertEquals(0.003, log.finalScores().get("base_bleu"));
        String table = ComparisonTable.finalScores(MethodComparison.of(List.of(log), 0.3));
        assertTrue(table.contains("| hetero fedpipe | 1 | 0.4200 |"), table);
        assertTrue(table.contains("| base model (no fine-tuning) | - | 0.0030 |"), table);
        RunLogFormatException bad = org.junit.jupiter.api.Assertions.assertThrows(RunLogFormatException.class,
                () -> RunLog.read(RunLogs.write(dir, "bad.jsonl", r0, fin.replace("0.42", "\"high\""))));
        assertTrue(bad.getMessage().endsWith("bad.jsonl:2: final score 'bleu' must be a number: \"high\""),
                bad.getMessage());
    }
}
