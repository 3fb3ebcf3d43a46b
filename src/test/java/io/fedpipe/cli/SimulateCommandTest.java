package io.fedpipe.cli;

import static io.fedpipe.cli.CliRun.assertInputError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.train.ThreeTopicTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedpipe simulate} end to end on the real MiniLM: 2 nodes, 1 round of 2 steps on the
 * three-topic task, rank 2 on q only; and a bad experiment file gives one line and exit code 2.
 */
class SimulateCommandTest {

    @TempDir
    Path dir;

    private static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    private Path experiment(String strategy, int rounds) throws IOException {
        Path task = ThreeTopicTask.write(dir.resolve("task"), 40, 12, 3);
        Path file = dir.resolve("tiny.conf");
        Files.writeString(file, """
                task = "%s"
                strategy = %s
                rounds = %d
                targets = q
                alpha = 4
                lr = 5e-3
                max-length = 24
                seed = 3
                nodes = [
                  { name = fast, rank = 2, steps = 2, batch = 4, uplink-mbps = 100, downlink-mbps = 100 }
                  { name = slow, rank = 2, steps = 2, batch = 4, compute-scale = 0.5, uplink-mbps = 1, downlink-mbps = 1 }
                ]
                """.formatted(task.toString().replace("\\", "\\\\"), strategy, rounds));
        return file;
    }

    @Test
    void plannedExperimentProbesSelectsAndPlansBeforeTraining() throws IOException {
        Path task = ThreeTopicTask.write(dir.resolve("task"), 40, 12, 3);
        Path file = dir.resolve("planned.conf");
        Files.writeString(file, """
                task = "%s"
                strategy = fedpipe
                setting = tiny
                rounds = 1
                targets = "q,v"
                alpha = 4
                lr = 5e-3
                max-length = 24
                seed = 3
                planner { formats = "fp32,int8", batches = [4], ranks = [2, 4], min-steps = 2, max-steps = 8 }
                importance { matrices = 5, probe-steps = 2, probe-rank = 2 }
                nodes = [
                  { name = fast, memory-mb = 1000 }
                  { name = slow, compute-scale = 0.25, uplink-mbps = 10, downlink-mbps = 10, memory-mb = 1000 }
                ]
                """.formatted(task.toString().replace("\\", "\\\\")));
        CliRun table = cli("simulate", file.toString(), "--threads", "1");
        assertEquals(0, table.exitCode(), table.err());
        assertTrue(table.out().contains("before round 1, 5 matrices selected"), table.out());
        assertTrue(table.out().contains("plan for minilm-l6"), table.out());
        assertTrue(!table.out().contains("failed"), "every node trains, on any base: " + table.out());
        CliRun o = cli("simulate", file.toString(), "--json", "--threads", "1");
        assertEquals(0, o.exitCode(), o.err());
        JsonNode one = new ObjectMapper().readTree(o.out().lines().toList().get(1));
        JsonNode fast = one.get("nodes").get("fast");
        JsonNode slow = one.get("nodes").get("slow");
        assertEquals(5, fast.get("matrices").asInt(), "the selection, not all 12 candidates");
        assertTrue(fast.get("steps").asInt() > slow.get("steps").asInt(), "the 4x slower node does fewer steps: " + one);
        assertTrue(slow.get("setupSeconds").asDouble() > 0, "the probe counts in the first round: " + one);
        assertTrue(o.err().contains("round 1: accuracy"), "progress on stderr: " + o.err());
    }

    @Test
    void tinyExperimentPrintsOneJsonLinePerRound() throws IOException {
        CliRun o = cli("simulate", experiment("fedpipe", 1).toString(), "--json", "--threads", "1");
        assertEquals(0, o.exitCode(), o.err());
        List<JsonNode> rows = new ArrayList<>();
        for (String line : o.out().lines().toList()) {
            rows.add(new ObjectMapper().readTree(line));
        }
        assertEquals(2, rows.size(), o.out());
        for (int i = 0; i < rows.size(); i++) {
            JsonNode r = rows.get(i);
            // Rounds from 1 on also say how the aggregation went (error vs the exact average, ranks, time).
            List<String> fields = new java.util.ArrayList<>(List.of("experiment", "method", "setting", "round",
                    "accuracy", "macroF1", "time", "roundSeconds", "elapsedSeconds", "bytesUp", "bytesDown", "rejected"));
            if (i > 0) {
                fields.add("aggregation");
            }
            fields.addAll(List.of("failures", "nodes"));
            assertEquals(fields, iterable(r));
            assertEquals("fedpipe", r.get("method").asText(), "the method defaults to the strategy");
            assertEquals(i, r.get("round").asInt());
            assertEquals("emulated", r.get("time").asText());
            double acc = r.get("accuracy").asDouble();
            assertTrue(acc >= 0 && acc <= 1, "accuracy " + acc);
            double f1 = r.get("macroF1").asDouble();
            assertTrue(f1 >= 0 && f1 <= 1, "macro-F1 " + f1);
        }
        JsonNode start = rows.get(0);
        assertEquals(0, start.get("bytesUp").asLong());
        assertEquals(0.0, start.get("elapsedSeconds").asDouble());
        JsonNode one = rows.get(1);
        // Up: per node 6 layers × q × (A [2, 384] + B [384, 2]) + head [3, 384] + [3] floats; down: the head only.
        long head = 3 * 384 + 3;
        assertEquals(2 * 4 * (6L * 2 * 2 * 384 + head), one.get("bytesUp").asLong());
        assertEquals(2 * 4 * head, one.get("bytesDown").asLong());
        // The slow node's 1 Mbit/s link alone costs 8 · (up + down) bytes / 10⁶ s.
        double link = 8.0 * 4 * (6L * 2 * 2 * 384 + 2 * head) / 1e6;
        assertTrue(one.get("roundSeconds").asDouble() > link, one.toString());
        assertEquals(one.get("roundSeconds").asDouble(), one.get("elapsedSeconds").asDouble(), 1e-12);
        assertEquals(0, one.get("rejected").asInt());
        assertEquals(0, one.get("failures").asInt());
        JsonNode slow = one.get("nodes").get("slow");
        assertEquals(6L * 2 * 2 * 384 + head, slow.get("trainableParameters").asLong());
        assertEquals(2, slow.get("rank").asInt());
        assertEquals(6, slow.get("matrices").asInt());
        assertEquals("fp32", slow.get("bits").asText());
        assertTrue(slow.get("peakMemoryBytes").asLong() > 90_000_000L, "modelled memory holds the FP32 base: " + slow);
        // The slow node's emulated time: its compute at half speed plus both transfers at 1 Mbit/s.
        assertEquals(slow.get("computeSeconds").asDouble() / 0.5 + link, slow.get("emulatedSeconds").asDouble(), 1e-9);
        // The report reads what simulate writes.
        Path log = dir.resolve("run.jsonl");
        java.nio.file.Files.writeString(log, o.out());
        io.fedpipe.report.RunLog run = io.fedpipe.report.RunLog.read(log);
        assertEquals(2, run.rounds().size());
    }

    @Test
    void badExperimentIsOneLineAndExitCode2() throws IOException {
        Path file = experiment("fedsgd", 1);
        CliRun o = cli("simulate", file.toString());
        String line = assertInputError(o);
        assertTrue(line.startsWith("fedpipe: tiny.conf:2: key 'strategy'"), line);
        CliRun missing = cli("simulate", dir.resolve("nope.conf").toString());
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().contains("no such experiment file"), missing.err());
    }

    private static List<String> iterable(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
