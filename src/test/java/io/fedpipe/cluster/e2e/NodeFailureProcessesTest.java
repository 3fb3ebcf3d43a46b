package io.fedpipe.cluster.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.cluster.gateway.GatewayClient;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.cluster.protocol.GatewayProtocol.JobState;
import io.fedpipe.cluster.protocol.GatewayProtocol.JobStatus;
import io.fedpipe.cluster.protocol.GatewayProtocol.NodeMetrics;
import io.fedpipe.cluster.protocol.GatewayProtocol.RoundMetrics;
import io.fedpipe.cluster.persistence.PostgresSchema;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real node processes on loopback with the PostgreSQL journal (DESIGN.md §6): node-1 hosts the
 * scheduler singleton (oldest scheduler node), aggregator partitions and a trainer; it is killed
 * with {@code kill -9} in the middle of a job. The singleton restarts on node-2 and recovers from
 * the journal, node-1's partitions move to node-2 and resume from their checkpoints, the open
 * round closes at its deadline without node-1's delta and the job finishes with every round
 * exactly once. node-1 is started again at once with the same overlay: the recovered scheduler has
 * its new trainer load the job again and it trains in the last rounds; when it takes an aggregator
 * partition back by a rebalance mid-round, the overdue round is re-issued to it.
 */
@Tag("cluster")
class NodeFailureProcessesTest {

    private static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test";
    private static final String PG_USER = "postgres";
    private static final int ROUNDS = 8;

    @TempDir
    Path dir;

    private static String overlay(String name, int port, List<Integer> seeds, String roles, Path dataDir, String pid) {
        return String.join("\n",
                "fedpipe.node {",
                "  name = \"" + name + "\"",
                "  port = " + port,
                "  seed-nodes = [" + String.join(", ", seeds.stream().map(p -> "\"127.0.0.1:" + p + "\"").toList()) + "]",
                "  roles = " + roles,
                "  data-dir = \"" + dataDir + "\"",
                "  management.port = 0",
                // ~4 s of emulated upload per round: long enough rounds for node-1 to come back before the last.
                "  resources.uplink-mbps = 0.35",
                "}",
                "fedpipe.trainer.threads = 1",
                "fedpipe.scheduler.persistence-id = \"" + pid + "\"",
                "fedpipe.scheduler.recovery-grace = 5s",
                "fedpipe.scheduler.prepare-timeout = 120s",
                "fedpipe.persistence.create-h2-schema = off",
                "pekko-persistence-jdbc.shared-databases.fedpipe.profile = \"slick.jdbc.PostgresProfile$\"",
                "pekko-persistence-jdbc.shared-databases.fedpipe.db.url = \"" + PG_URL + "\"",
                "pekko-persistence-jdbc.shared-databases.fedpipe.db.user = " + PG_USER,
                "pekko-persistence-jdbc.shared-databases.fedpipe.db.password = \"\"",
                "pekko-persistence-jdbc.shared-databases.fedpipe.db.driver = \"org.postgresql.Driver\"",
                // Three JVMs train on 2 cores: patient heartbeats, then a quick decision on a dead node.
                "pekko.cluster.failure-detector.acceptable-heartbeat-pause = 8s",
                "pekko.cluster.split-brain-resolver.stable-after = 5s");
    }

    @Test
    void killingTheSchedulerAndAggregatorNodeMidJobFailsOverAndTheJobFinishes() throws Exception {
        try {
            PostgresSchema.apply(PG_URL + "?connectTimeout=3", PG_USER, "");
        } catch (SQLException e) {
            Assumptions.abort("PostgreSQL at " + PG_URL + " (user " + PG_USER + ") is not reachable: " + e.getMessage());
        }
        long t0 = System.nanoTime();
        int[] ports = {NodeProcesses.freePort(), NodeProcesses.freePort(), NodeProcesses.freePort()};
        List<Integer> seeds = List.of(ports[0], ports[1]);
        String pid = "e2e-failover-" + UUID.randomUUID();
        String[] roles = {"[scheduler, gateway, aggregator, edge]", "[scheduler, gateway, aggregator, edge]", "[edge]"};
        // Logs and overlays outside the temp dir, so that a failure can be read afterwards.
        Path logs = java.nio.file.Files.createDirectories(Path.of("target", "cluster-logs", pid));
        try (NodeProcesses nodes = new NodeProcesses(logs)) {
            for (int i = 0; i < 3; i++) {
                String name = "node-" + (i + 1);
                nodes.start(name, overlay(name, ports[i], seeds, roles[i],
                        java.nio.file.Files.createDirectories(dir.resolve(name)), pid));
                // In order: node-1 is the oldest member, so it hosts the scheduler singleton.
                nodes.awaitLog(name, "fedpipe node " + name + " at", Duration.ofSeconds(60));
            }
            for (int i = 1; i <= 3; i++) {
                nodes.awaitLog("node-" + i, "trainer node-" + i + ": registered", Duration.ofSeconds(60));
            }
            // Registered is not yet eligible: the scheduler (on node-1) also needs the trainer in the
            // Receptionist's listing, which can arrive later; a job's participants are the eligible nodes.
            for (int i = 1; i <= 3; i++) {
                nodes.awaitLog("node-1", "node node-" + i + " can train", Duration.ofSeconds(60));
            }
            try (GatewayClient client = GatewayClient.connect(List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1]),
                    "fedpipe", "127.0.0.1")) {
                GatewayProtocol.Reply accepted = client.ask(new GatewayProtocol.SubmitJob("failover.conf",
                        ClusterJobEndToEndTest.jobFile("rounds = " + ROUNDS, "round-timeout = 15s",
                                "planner { formats = \"fp32\", batches = [4], ranks = [4], min-steps = 3, max-steps = 3 }")),
                        Duration.ofSeconds(20));
                String id = ((GatewayProtocol.JobAccepted) accepted).jobId();
                JobStatus before = await(client, id, s -> s.state() == JobState.RUNNING && s.round() >= 2,
                        Duration.ofSeconds(120));
                assertEquals(List.of("node-1", "node-2", "node-3"), before.participants());
                assertTrue(nodes.logText("node-1").contains("scheduler recovered"), "node-1 hosts the singleton");
                String log1 = nodes.logText("node-1");
                List<Integer> onNode1 = IntStream.range(0, 2)
                        .filter(p -> log1.contains("aggregator " + id + "/" + p + ": round")).boxed().toList();
                int node2Before = nodes.logText("node-2").length();
                int node1Before = nodes.logText("node-1").length();

                nodes.kill("node-1");
                long killed = System.nanoTime();
                int killedInRound = before.round();
                // node-1 comes back at once with the same overlay: a new incarnation, after the fail-over.
                nodes.restart("node-1");

                // The singleton comes back on node-2 and the job goes on without node-1.
                JobStatus without = await(client, id, s -> s.state().over() || s.history().stream()
                        .anyMatch(r -> r.round() >= killedInRound && r.nodes().stream()
                                .noneMatch(n -> n.nodeId().equals("node-1"))), Duration.ofSeconds(120));
                double failoverSeconds = (System.nanoTime() - killed) / 1e9;
                String node2 = nodes.logText("node-2").substring(node2Before);
                assertTrue(node2.contains("scheduler recovered"), "the singleton restarted on node-2:\n" + nodes.tail("node-2"));
                for (int p : onNode1) {
                    // To node-2, or to node-1's new incarnation when that joined before the partition was needed.
                    String moved = "aggregator " + id + "/" + p + ":";
                    assertTrue(node2.contains(moved) || nodes.logText("node-1").substring(node1Before).contains(moved),
                            "partition " + p + " moved:\n" + nodes.tail("node-2"));
                }

                JobStatus done = await(client, id, s -> s.state().over(), Duration.ofSeconds(180));
                String all2 = nodes.logText("node-2");
                System.out.printf("failover: killed node-1 in round %d (it hosted partitions %s); round without it "
                        + "seen after %.1f s; plan changes %s; rounds %s; whole test %.1f s%n", killedInRound, onNode1,
                        failoverSeconds, done.planChanges(), done.history().stream()
                                .map(r -> r.round() + ":" + r.nodes().stream().map(NodeMetrics::nodeId).toList()).toList(),
                        (System.nanoTime() - t0) / 1e9);

                assertEquals(JobState.FINISHED, done.state(), done.toString());
                // Every round exactly once, in order: no finished round was lost or run twice.
                assertEquals(IntStream.rangeClosed(1, ROUNDS).boxed().toList(),
                        done.history().stream().map(RoundMetrics::round).toList());
                assertFalse(all2.contains("rounds are closed here"), "no partition resumed behind a closed round");
                assertTrue(without.history().size() < ROUNDS || done.history().stream().anyMatch(r -> r.round() > killedInRound
                        && r.nodes().stream().noneMatch(n -> n.nodeId().equals("node-1"))));
                // node-1, back as a new incarnation, loaded the job again (the recovered scheduler asks every node the
                // journal says prepared) and trained again: in whichever plan it is in (still the old one when it came
                // back within the recovery grace, or "returned: node-1" after a re-plan without it), from some round
                // after the kill to the last.
                assertTrue(nodes.logText("node-1").substring(node1Before).contains("trainer node-1: job " + id + " prepared with"),
                        nodes.tail("node-1"));
                int firstBack = done.history().stream().filter(r -> r.round() > killedInRound && r.nodes().stream()
                        .anyMatch(n -> n.nodeId().equals("node-1"))).mapToInt(RoundMetrics::round).min()
                        .orElseThrow(() -> new AssertionError("node-1 never trained again: " + done.history()));
                for (RoundMetrics r : done.history().subList(firstBack - 1, ROUNDS)) {
                    assertTrue(r.nodes().stream().anyMatch(n -> n.nodeId().equals("node-1")), "round " + r.round() + ": " + r);
                }
            }
        }
    }

    private static JobStatus await(GatewayClient client, String id, Predicate<JobStatus> done, Duration limit)
            throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        Object last = null;
        while (System.nanoTime() < deadline) {
            try {
                // During a fail-over the gateway may not answer, or answer that the scheduler did not.
                GatewayProtocol.Reply r = client.ask(new GatewayProtocol.GetJobStatus(id), Duration.ofSeconds(5));
                last = r;
                if (r instanceof JobStatus s && done.test(s)) {
                    return s;
                }
            } catch (TimeoutException e) {
                last = e.getMessage();
            }
            Thread.sleep(500);
        }
        throw new AssertionError("job " + id + ": condition not met within " + limit + "; last answer " + last);
    }
}
