package io.fedpipe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.report.RunLogs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedpipe report compare}: the table and the plots' paths on stdout; bad input is one line and exit code 2. */
class ReportCommandTest {

    @TempDir
    Path dir;

    private List<String> args(String... first) throws IOException {
        List<String> a = new ArrayList<>(List.of(first));
        RunLogs.comparison(dir.resolve("logs")).forEach(p -> a.add(p.toString()));
        return a;
    }

    @Test
    void printsTheTableAndThePlotPaths() throws IOException {
        Path out = dir.resolve("results");
        CliRun o = CliRun.of(args("report", "compare", "--target", "0.6", "--out", out.toString()).toArray(String[]::new));
        assertEquals(0, o.exitCode(), o.err());
        List<String> lines = o.out().lines().toList();
        assertTrue(lines.get(0).startsWith("| setting | method | rounds |"), lines.get(0));
        assertTrue(lines.get(2).startsWith("| hetero | fedpipe | 3 | 0.6100 | 0.6000 | 0.6200 | 22.0 | 2 | 2.50× |"), lines.get(2));
        List<String> wrote = lines.stream().filter(l -> l.startsWith("wrote ")).toList();
        assertEquals(List.of("wrote " + out.resolve("accuracy-vs-time-hetero.png"), "wrote " + out.resolve("bytes-per-round-hetero.png"),
                "wrote " + out.resolve("accuracy-vs-time-iid.png"), "wrote " + out.resolve("bytes-per-round-iid.png")), wrote);
        for (String w : wrote) {
            assertTrue(Files.size(Path.of(w.substring("wrote ".length()))) > 1000, w);
        }
        assertEquals("", o.err());
    }

    @Test
    void jsonWithoutPlots() throws IOException {
        CliRun o = CliRun.of(args("report", "compare", "--target", "0.45", "--json").toArray(String[]::new));
        assertEquals(0, o.exitCode(), o.err());
        JsonNode root = new ObjectMapper().readTree(o.out());
        assertEquals(0, root.get("plots").size());
        assertEquals(10.0, root.get("rows").get(0).get("secondsToTarget").asDouble());
        assertEquals(2.5, root.get("rows").get(0).get("speedupVsBestBaseline").asDouble());
    }

    @Test
    void badInputIsOneLineAndExitCode2() throws IOException {
        List<String> files = args();
        assertInputError("Missing required parameter", "report", "compare", "--target", "0.6");
        assertInputError("--target must be in (0, 1]: 0.0", cat(List.of("report", "compare", "--target", "0"), files));
        assertInputError("--target must be in (0, 1]: 1.5", cat(List.of("report", "compare", "--target", "1.5"), files));
        assertInputError("Missing required option: '--target", cat(List.of("report", "compare"), files));
        Path missing = dir.resolve("missing.jsonl");
        assertInputError(missing + ": no such run log", "report", "compare", "--target", "0.6", missing.toString());
        Path bad = RunLogs.write(dir, "bad.jsonl", RunLogs.round("fedpipe", "x", 0, 0.2, 0.1, 0), "{\"round\": 1,");
        assertInputError(bad + ":2: malformed JSON", "report", "compare", "--target", "0.6", bad.toString());
        assertInputError("missing subcommand: compare", "report");
    }

    private static String[] cat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all.toArray(String[]::new);
    }

    private static void assertInputError(String expected, String... args) {
        CliRun.assertInputError(CliRun.of(args), expected);
    }
}
