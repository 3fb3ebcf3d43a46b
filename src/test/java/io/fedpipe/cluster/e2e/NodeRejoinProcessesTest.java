package io.fedpipe.cluster.e2e;

import static io.fedpipe.cluster.e2e.NodeProcesses.await;
import static io.fedpipe.cluster.e2e.NodeProcesses.submit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.cluster.gateway.GatewayClient;
import io.fedpipe.cluster.protocol.GatewayProtocol.JobState;
import io.fedpipe.cluster.protocol.GatewayProtocol.JobStatus;
import io.fedpipe.cluster.protocol.GatewayProtocol.NodeMetrics;
import io.fedpipe.cluster.protocol.GatewayProtocol.PlanChange;
import io.fedpipe.cluster.protocol.GatewayProtocol.PlanRow;
import io.fedpipe.cluster.protocol.GatewayProtocol.RoundMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real node processes on loopback (DESIGN.md §6, issue 4 §6): node-1 hosts the scheduler
 * singleton, node-3 is an edge-only node killed with {@code kill -9} while round 2 is open. The
 * round closes at its deadline with node-3's failure, the job is re-planned without it ("left:
 * node-3") and goes on; node-3 is started again with the same overlay, joins as a new
 * incarnation, prepares its own shard again and is planned back in ("returned: node-3"); it trains
 * in the last round and the job finishes with every round exactly once. Uses the H2 journal under
 * each node's data dir: the scheduler does not move, so no shared database is needed.
 */
@Tag("cluster")
class NodeRejoinProcessesTest {

    private static final int ROUNDS = 8;
    private static final int TIMEOUT_S = 12;

    @TempDir
    Path dir;

    @Test
    void aKilledTrainerNodeIsPlannedOutThenRejoinsIsPreparedAgainAndPlannedBackIn() throws Exception {
        long t0 = System.nanoTime();
        String run = "e2e-rejoin-" + UUID.randomUUID();
        try (NodeProcesses nodes = NodeProcesses.inTarget(run)) {
            nodes.startThree(dir);
            try (GatewayClient client = nodes.gateway()) {
                String id = submit(client, "rejoin.conf", "rounds = " + ROUNDS, "round-timeout = " + TIMEOUT_S + "s",
                        "planner { formats = \"fp32\", batches = [4], ranks = [4], min-steps = 3, max-steps = 3 }");
                JobStatus before = await(client, id, s -> s.state() == JobState.RUNNING && s.round() >= 2,
                        Duration.ofSeconds(150));
                assertEquals(List.of("node-1", "node-2", "node-3"), before.participants());
                assertEquals(List.of("node-1", "node-2", "node-3"), before.plan().stream().map(PlanRow::nodeId).toList());
                int node3Before = nodes.logText("node-3").length();

                nodes.kill("node-3");
                long killed = System.nanoTime();
                int killedInRound = before.round();
                // Same overlay, same port: a new incarnation of node-3, with its private data dir.
                nodes.restart("node-3");

                JobStatus done = await(client, id, s -> s.state().over(), Duration.ofSeconds(180));
                String node3 = nodes.logText("node-3").substring(node3Before);
                String node1 = nodes.logText("node-1");
                System.out.printf("rejoin: killed node-3 in round %d; plan changes %s; rounds %s; failures %s; "
                        + "%.1f s from kill to finish; whole test %.1f s%n", killedInRound, done.planChanges(),
                        done.history().stream().map(r -> r.round() + ":" + r.nodes().stream().map(NodeMetrics::nodeId)
                                .toList()).toList(), done.history().stream().map(RoundMetrics::failures).toList(),
                        (System.nanoTime() - killed) / 1e9, (System.nanoTime() - t0) / 1e9);

                assertEquals(JobState.FINISHED, done.state(), done.toString());
                assertEquals(IntStream.rangeClosed(1, ROUNDS).boxed().toList(),
                        done.history().stream().map(RoundMetrics::round).toList(), "every round exactly once");
                // The open round closed at its deadline without node-3, naming it among the failures.
                RoundMetrics cut = done.history().get(killedInRound - 1);
                assertEquals(List.of("node-1", "node-2"), cut.nodes().stream().map(NodeMetrics::nodeId).toList(),
                        cut.toString());
                assertTrue(cut.failures().stream().anyMatch(f -> f.startsWith("node-3: no delta within the round's deadline")),
                        cut.failures().toString());
                assertTrue(cut.roundSeconds() >= TIMEOUT_S - 1, "closed by the deadline: " + cut.roundSeconds());

                List<PlanChange> changes = done.planChanges();
                PlanChange out = changes.stream().filter(c -> c.reason().contains("left: node-3")).findFirst()
                        .orElseThrow(() -> new AssertionError("no re-plan without node-3: " + changes));
                assertEquals(killedInRound + 1, out.beforeRound());
                assertEquals(List.of("node-1", "node-2"), out.nodes());
                PlanChange back = changes.stream().filter(c -> c.reason().contains("returned: node-3")).findFirst()
                        .orElseThrow(() -> new AssertionError("node-3 was not planned back in: " + changes));
                assertTrue(back.beforeRound() > out.beforeRound() && back.beforeRound() <= ROUNDS, back.toString());
                assertEquals(List.of("node-1", "node-2", "node-3"), back.nodes());
                // Three JVMs on 2 cores make nodes honestly ~1.5-2x slow, but neither the round that waited 12 s for
                // its deadline nor the emulated upload counts as slowness (before the fixes: "ran 49x its plan").
                java.util.regex.Matcher factors = java.util.regex.Pattern.compile("ran ([0-9.]+)x its plan")
                        .matcher(changes.toString());
                while (factors.find()) {
                    assertTrue(Double.parseDouble(factors.group(1)) < 5, "a slowness from waiting: " + changes);
                }
                assertEquals(List.of("node-1", "node-2", "node-3"), done.plan().stream().map(PlanRow::nodeId).toList());

                // node-3 prepared its own shard again and trained from the round it was planned in to the end.
                assertTrue(node3.contains("trainer node-3: job " + id + " prepared with"), nodes.tail("node-3"));
                for (RoundMetrics r : done.history().subList(back.beforeRound() - 1, ROUNDS)) {
                    assertEquals(List.of("node-1", "node-2", "node-3"), r.nodes().stream().map(NodeMetrics::nodeId).toList(),
                            "round " + r.round() + " after node-3 returned: " + r);
                }
                for (RoundMetrics r : done.history().subList(killedInRound, back.beforeRound() - 1)) {
                    assertFalse(r.nodes().stream().anyMatch(n -> n.nodeId().equals("node-3")), r.toString());
                }
                assertTrue(node1.contains("node node-3 left"), "the scheduler journaled node-3's departure");
            }
        }
    }
}
