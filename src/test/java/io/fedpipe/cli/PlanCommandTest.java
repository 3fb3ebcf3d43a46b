package io.fedpipe.cli;

import static io.fedpipe.cli.CliRun.assertInputError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedpipe plan}: the shipped example files plan, and bad cluster files give one line and exit code 2. */
class PlanCommandTest {

    @TempDir
    Path dir;

    private static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    private CliRun planFile(String content, String... extra) throws IOException {
        Path file = dir.resolve("nodes.conf");
        Files.writeString(file, content);
        List<String> args = new java.util.ArrayList<>(List.of("plan", "--cluster", file.toString()));
        args.addAll(List.of(extra));
        return cli(args.toArray(String[]::new));
    }

    @Test
    void mixedGpuExamplePlansLlamaOnPaper() throws IOException {
        CliRun o = cli("plan", "--model", "llama-2-7b", "--cluster", "cluster-configs/plans/mixed-gpus.conf",
                "--seq", "512", "--json");
        assertEquals(0, o.exitCode(), o.err());
        JsonNode plan = new ObjectMapper().readTree(o.out());
        assertEquals(6, plan.get("nodes").size());
        double t = plan.get("roundSeconds").asDouble();
        for (JsonNode n : plan.get("nodes")) {
            assertTrue(n.get("finishSeconds").asDouble() <= t * (1 + 1e-9) && n.get("finishSeconds").asDouble() >= 0.9 * t, n.toString());
            // 7B parameters in FP32 (27 GB) cannot fit the 16–40 GB devices.
            if (List.of("t4", "rtx3090").contains(n.get("node").asText())) {
                assertTrue(!n.get("bits").asText().equals("FP32"), n.toString());
            }
        }
    }

    @Test
    void edgeCpuExampleGivesTheWeakestNodeAQuantizedBase() {
        CliRun o = cli("plan", "--model", "minilm-l6", "--cluster", "cluster-configs/plans/edge-cpus.conf", "--seq", "64");
        assertEquals(0, o.exitCode(), o.err());
        String edge4 = o.out().lines().filter(l -> l.startsWith("edge-4")).findFirst().orElseThrow();
        assertTrue(!edge4.contains("fp32"), edge4);
    }

    @Test
    void missingKeyIsNamedWithFileLineAndNode() throws IOException {
        assertInputError(planFile("nodes = [\n  { name = \"x\", device = \"t4\", downlink-mbps = 10, data-size = 1 }\n]\n"),
                "nodes.conf:2", "missing key 'nodes[0].uplink-mbps'");
    }

    @Test
    void unknownDevicePresetListsTheValidOnes() throws IOException {
        assertInputError(planFile("nodes = [{ name = y, device = h100, uplink-mbps = 1, downlink-mbps = 1, data-size = 1 }]"),
                "nodes.conf:1", "key 'nodes[0].device'", "unknown device preset 'h100'", "a100-80gb");
    }

    @Test
    void negativeMemoryIsRefused() throws IOException {
        assertInputError(planFile("nodes = [{ name = z, device = t4, memory-gb = -2, uplink-mbps = 1, downlink-mbps = 1, data-size = 1 }]"),
                "nodes.conf:1", "key 'nodes[0].memory-gb' must be a positive number, got -2");
    }

    @Test
    void nodeThatFitsNothingFailsWithItsShortfall() throws IOException {
        assertInputError(planFile("nodes = [{ name = tiny, device = cpu-2core, memory-gb = 0.01, uplink-mbps = 1, "
                + "downlink-mbps = 1, data-size = 1 }]", "--seq", "64"), "node 'tiny'", "GB more");
    }
}
