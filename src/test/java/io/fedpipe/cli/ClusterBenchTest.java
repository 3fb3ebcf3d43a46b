package io.fedpipe.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.cluster.management.PrometheusText;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The arithmetic of {@code bench cluster}, on a made-up job status and /metrics text. */
class ClusterBenchTest {

    @Test
    void overheadIsTheRoundLessTheSlowestEmulatedNode() {
        // node-2 (scale 0.5, 50 Mbit/s both ways): 3 s compute -> 6 s, plus 8*(2.5e6+1.25e6)/50e6 = 0.6 s = 6.6 s.
        // node-3 (scale 0.25, 10 Mbit/s): 1 s compute -> 4 s, plus 8*(1e6+1e6)/10e6 = 1.6 s = 5.6 s.
        var round = new GatewayProtocol.RoundMetrics(1, 10.0, List.of(
                new GatewayProtocol.NodeMetrics("node-2", 10, 3.0, 7.5, 3.0, 2_500_000, 1_250_000, 1.0),
                new GatewayProtocol.NodeMetrics("node-3", 10, 1.0, 8.0, 1.0, 1_000_000, 1_000_000, 1.0)), List.of(), Double.NaN);
        var status = new GatewayProtocol.JobStatus("j", "demo.conf", GatewayProtocol.JobState.FINISHED, 1, 1, "minilm-l6",
                "wordnet-topics", "fedpipe", "", List.of("node-2", "node-3"), List.of(), 5, List.of(), List.of(),
                List.of(round), List.of(), 2);
        List<ClusterBench.RoundCost> costs = ClusterBench.costs(status, ClusterRun.demoNodes(3));
        assertEquals(1, costs.size());
        ClusterBench.RoundCost c = costs.get(0);
        assertEquals("node-2", c.slowest());
        assertEquals(6.6, c.slowestSeconds(), 1e-9);
        assertEquals(3.4, c.overheadSeconds(), 1e-9);
        assertEquals(0.34, c.overheadShare(), 1e-9);
        // The longest training wall is node-3's 8 s: 2 s of the round were outside every node.
        assertEquals(2.0, c.clusterSeconds(), 1e-9);
    }

    @Test
    void wireBytesAreReadFromTheNodesOwnMetrics() {
        String metrics = PrometheusText.renderWire("node-3",
                Map.of("RoundProtocol.DeltaUpload", 335_831L, "ClusterHeartbeat", 99L),
                Map.of("RoundProtocol.RoundAssignment", 224_107L, "RoundProtocol.DeltaAck", 500L));
        assertArrayEquals(new long[] {335_831L, 224_107L}, ClusterBench.wireBytes(metrics));
    }
}
