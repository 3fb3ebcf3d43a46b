package io.fedpipe.cluster.e2e;

import static io.fedpipe.cluster.e2e.NodeProcesses.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.cluster.gateway.GatewayClient;
import io.fedpipe.cluster.protocol.GatewayProtocol.JobState;
import io.fedpipe.cluster.protocol.GatewayProtocol.JobStatus;
import io.fedpipe.cluster.protocol.GatewayProtocol.NodeMetrics;
import io.fedpipe.cluster.protocol.GatewayProtocol.RoundMetrics;
import io.fedpipe.cluster.persistence.PostgresSchema;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
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

    /** The PostgreSQL journal shared by the three nodes, so that the scheduler can move. */
    private static String[] postgres(String pid) {
        return new String[] {
                "fedpipe.scheduler.persistence-id = \"" + pid + "\"",
                "fedpipe.persistence.create-h2-schema = off",
                "pekko-persistence-jdbc.shared-databases.fedpipe.profile = \"slick.jdbc.PostgresProfile$\"",
                "pekko-persistence-jdbc.shared-databases.fedpipe.db.url = \"" + PG_URL + "\"",
                "pekko-persistence-jdbc.shared-databases.fedpipe.db.user = " + PG_USER,
                "pekko-persistence-jdbc.shared-databases.fedpipe.db.password = \"\"",
                "pekko-persistence-jdbc.shared-databases.fedpipe.db.driver = \"org.postgresql.Driver\""};
    }

    /** The job of one run: the small MiniLM classifier, or the small causal-LM job of the built-in decoder. */
    private static String job(String kind) {
        String base = kind.equals("decoder") ? ClusterJobEndToEndTest.decoderJobFile()
                : ClusterJobEndToEndTest.jobFile();
        return String.join("\n", base, "rounds = " + ROUNDS, "round-timeout = 15s",
                "planner { formats = \"fp32\", batches = [4], ranks = [4], min-steps = 3, max-steps = 3 }");
    }

    @ParameterizedTest(name = "{0} job")
    @ValueSource(strings = {"classifier", "decoder"})
    void killingTheSchedulerAndAggregatorNodeMidJobFailsOverAndTheJobFinishes(String kind) throws Exception {
        try {
            PostgresSchema.apply(PG_URL + "?connectTimeout=3", PG_USER, "");
        } catch (SQLException e) {
            Assumptions.abort("PostgreSQL at " + PG_URL + " (user " + PG_USER + ") is not reachable: " + e.getMessage());
        }
        long t0 = System.nanoTime();
        String pid = "e2e-failover-" + UUID.randomUUID();
        try (NodeProcesses nodes = NodeProcesses.inTarget(pid)) {
            nodes.startThree(dir, postgres(pid));
            try (GatewayClient client = nodes.gateway()) {
                String id = ((io.fedpipe.cluster.protocol.GatewayProtocol.JobAccepted) client.ask(
                        new io.fedpipe.cluster.protocol.GatewayProtocol.SubmitJob("failover-" + kind + ".conf",
                                job(kind)), Duration.ofSeconds(20))).jobId();
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
                System.out.printf(kind + " failover: killed node-1 in round %d (it hosted partitions %s); round without it "
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
}
