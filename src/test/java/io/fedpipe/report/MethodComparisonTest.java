package io.fedpipe.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The comparison's figures from the hand-written logs of {@link RunLogs#comparison}, computed by hand. */
class MethodComparisonTest {

    @TempDir
    Path dir;

    private MethodComparison compare(double target) throws IOException {
        List<RunLog> logs = new ArrayList<>();
        for (Path p : RunLogs.comparison(dir)) {
            logs.add(RunLog.read(p));
        }
        return MethodComparison.of(logs, target);
    }

    @Test
    void figuresPerSettingAndMethod() throws IOException {
        MethodComparison c = compare(0.6);
        assertEquals(List.of("hetero", "iid"), c.settings());
        assertEquals("emulated", c.time());
        List<MethodComparison.Row> rows = c.rows();
        assertEquals(List.of("fedpipe", "fedavg-lora", "hetlora", "fedpipe"), rows.stream().map(MethodComparison.Row::method).toList());

        MethodComparison.Row fedpipe = rows.get(0);
        assertEquals(3, fedpipe.rounds());
        assertEquals(0.61, fedpipe.finalAccuracy());
        assertEquals(0.60, fedpipe.finalMacroF1());
        assertEquals(0.62, fedpipe.bestAccuracy());
        assertEquals(OptionalDouble.of(22), fedpipe.secondsToTarget());
        assertEquals(OptionalInt.of(2), fedpipe.roundsToTarget());
        // Trainable parameters from the last round: a 1000, b 700.
        assertEquals(1000, fedpipe.maxNodeTrainable());
        assertEquals(1700, fedpipe.sumTrainable());
        // Up: (6000 + 6000 + 7000) / 3 per round; down 4000 every round; round 0 not counted.
        assertEquals(19000.0 / 3, fedpipe.meanBytesUp(), 1e-9);
        assertEquals(4000.0, fedpipe.meanBytesDown());
        // Peaks over the rounds: a max(100, 120, 110) MB; b max(50, 40, unknown) MB.
        assertEquals(Map.of("a", 120.0, "b", 50.0), fedpipe.peakMemoryMb());
        assertEquals(30.0, fedpipe.totalSeconds());
        // Best baseline: hetlora at 55 s (fedavg-lora reached at 60 s, with accuracy exactly 0.60).
        assertEquals(OptionalDouble.of(2.5), fedpipe.speedup());

        MethodComparison.Row fedavg = rows.get(1);
        assertEquals(OptionalDouble.of(60), fedavg.secondsToTarget());
        assertEquals(OptionalInt.of(3), fedavg.roundsToTarget());
        assertEquals(16000.0, fedavg.meanBytesUp());
        assertEquals(2000, fedavg.maxNodeTrainable());
        assertEquals(4000, fedavg.sumTrainable());
        assertTrue(fedavg.peakMemoryMb().get("a").isNaN());
        assertEquals(OptionalDouble.empty(), fedavg.speedup());
        assertEquals(OptionalDouble.of(55), rows.get(2).secondsToTarget());

        MethodComparison.Row iid = rows.get(3);
        assertEquals(OptionalDouble.empty(), iid.secondsToTarget());
        assertEquals(OptionalInt.empty(), iid.roundsToTarget());
        assertEquals(OptionalDouble.empty(), iid.speedup());
    }

    @Test
    void aLowerTargetMovesTimeToTargetAndSpeedup() throws IOException {
        MethodComparison c = compare(0.45);
        // fedpipe 0.45 at round 1 (10 s); fedavg-lora 0.55 at 40 s; hetlora 0.50 at 25 s → 25 / 10.
        assertEquals(OptionalDouble.of(10), c.rows().get(0).secondsToTarget());
        assertEquals(OptionalDouble.of(40), c.rows().get(1).secondsToTarget());
        assertEquals(OptionalDouble.of(2.5), c.rows().get(0).speedup());
        assertEquals(OptionalDouble.of(12), c.rows().get(3).secondsToTarget());
    }

    @Test
    void markdownTableLabelsEmulatedTimeAndCarriesTheFigures() throws IOException {
        String md = ComparisonTable.markdown(compare(0.6));
        List<String> lines = md.lines().toList();
        assertTrue(lines.get(0).contains("| time to acc. 0.60, s (emulated) |"), lines.get(0));
        assertTrue(lines.get(0).contains("| total time, s (emulated) |"), lines.get(0));
        assertTrue(lines.get(0).contains("| speed-up vs best baseline (emulated) |"), lines.get(0));
        assertEquals("| hetero | fedpipe | 3 | 0.6100 | 0.6000 | 0.6200 | 22.0 | 2 | 2.50× | 30.0 | 1,000 | 1,700 | 0.006 | 0.004 | a 120, b 50 |",
                lines.get(2));
        assertEquals("| hetero | fedavg-lora | 4 | 0.6500 | 0.6100 | 0.6500 | 60.0 | 3 | — | 80.0 | 2,000 | 4,000 | 0.016 | 0.016 | a ?, b ? |",
                lines.get(3));
        assertEquals("| iid | fedpipe | 1 | 0.5000 | 0.4000 | 0.5000 | not reached | not reached | not reached | 12.0 | 1,000 | 1,000 | 0.004 | 0.002 | a 70 |",
                lines.get(5));
        assertTrue(lines.get(7).startsWith("Target accuracy 0.60; times are emulated"), lines.get(7));
    }

    @Test
    void jsonHasNullsForAbsentFigures() throws IOException {
        JsonNode root = new ObjectMapper().readTree(ComparisonTable.json(compare(0.6), List.of(Path.of("x.png"))));
        assertEquals(0.6, root.get("target").asDouble());
        assertEquals("x.png", root.get("plots").get(0).asText());
        JsonNode fedpipe = root.get("rows").get(0);
        assertEquals(22.0, fedpipe.get("secondsToTarget").asDouble());
        assertEquals(2.5, fedpipe.get("speedupVsBestBaseline").asDouble());
        assertEquals(120.0, fedpipe.get("peakMemoryMb").get("a").asDouble());
        assertTrue(root.get("rows").get(1).get("peakMemoryMb").get("a").isNull());
        assertTrue(root.get("rows").get(3).get("secondsToTarget").isNull());
        assertTrue(root.get("rows").get(3).get("roundsToTarget").isNull());
    }

    @Test
    void twoRunsOfOneMethodInOneSettingAreRefused() throws IOException {
        List<Path> files = RunLogs.comparison(dir);
        List<RunLog> logs = List.of(RunLog.read(files.get(0)), RunLog.read(files.get(0)));
        RunLogFormatException e = assertThrows(RunLogFormatException.class, () -> MethodComparison.of(logs, 0.6));
        assertTrue(e.getMessage().startsWith("two runs of method fedpipe in setting hetero"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MethodComparison.of(logs.subList(0, 1), 0));
        assertThrows(IllegalArgumentException.class, () -> MethodComparison.of(logs.subList(0, 1), 1.01));
    }
}
