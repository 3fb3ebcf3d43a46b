package io.fedpipe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.fedpipe.cluster.gateway.GatewayClient;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.scheduler.StandIns;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane from the outside, in one JVM: a one-node cluster (scheduler, gateway, stand-in
 * trainers and aggregator partitions), the CLI's submit/status/watch/cancel through Cluster Client,
 * and the management routes on 127.0.0.1.
 */
class JobCommandsTest {

    @TempDir
    static Path dir;

    private static ActorTestKit kit;
    private static TestProbe<JobProtocol.AggregatorCommand> agg;
    private static String contact;
    private static URI management;
    private static final HttpClient http = HttpClient.newHttpClient();
    private static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    @SuppressWarnings({"unchecked", "rawtypes"})
    static void startNode() throws Exception {
        TestProbe<JobProtocol.AggregatorCommand>[] slot = new TestProbe[1];
        kit = StandIns.node(StandIns.config(dir, "cli-" + UUID.randomUUID(), ConfigFactory.parseString(
                "pekko.management.http.port = 0\npekko.management.http.bind-port = 0")), true, slot);
        agg = slot[0];
        kit.spawn(StandIns.trainer(StandIns.profile("edge-a", 1.0), 500, kit.createTestProbe().ref()));
        kit.spawn(StandIns.trainer(StandIns.profile("edge-b", 0.5), 300, kit.createTestProbe().ref()));
        contact = "127.0.0.1:" + Cluster.get(kit.system()).selfMember().address().getPort().get();
        management = URI.create(PekkoManagement.get(Adapter.toClassic(kit.system())).start().toCompletableFuture()
                .get(30, TimeUnit.SECONDS).toString());
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(management.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static CliRun cli(String... args) {
        return CliRun.of(args);
    }

    @Test
    void submitStatusMetricsCancelAndWatchThroughTheGateway() throws Exception {
        assertEquals(200, get("/ready").statusCode(), "member up and scheduler recovered");
        Path job = Files.writeString(dir.resolve("wordnet-small.conf"), StandIns.jobText(3));
        // Submitting needs the trainers registered: retry while the scheduler reports none.
        CliRun submitted = cli("submit", job.toString(), "--contact", contact);
        for (int i = 0; i < 20 && submitted.exitCode() == 1; i++) {
            Thread.sleep(500);
            submitted = cli("submit", job.toString(), "--contact", contact);
        }
        assertEquals(0, submitted.exitCode(), submitted.err());
        String id = submitted.out().strip();
        assertTrue(id.matches("wordnet-small-[0-9a-f]{8}"), id);

        JobProtocol.OpenRound r1 = assertInstanceOf(JobProtocol.OpenRound.class, agg.receiveMessage(StandIns.WAIT));
        JobProtocol.OpenRound r1b = assertInstanceOf(JobProtocol.OpenRound.class, agg.receiveMessage(StandIns.WAIT));
        r1.replyTo().tell(StandIns.closed(r1, 0.01, 0.75));
        r1b.replyTo().tell(StandIns.closed(r1b, 0.01, 0.75));
        agg.expectMessageClass(JobProtocol.OpenRound.class, StandIns.WAIT);

        CliRun status = cli("status", id, "--contact", contact);
        assertEquals(0, status.exitCode(), status.err());
        assertTrue(status.out().contains("RUNNING, round 2/3"), status.out());
        assertTrue(status.out().contains("round 1/3"), status.out());
        CliRun statusJson = cli("status", id, "--contact", contact, "--json");
        JsonNode s = json.readTree(statusJson.out());
        assertEquals("RUNNING", s.get("state").asText());
        assertEquals(2, s.get("plan").size());
        assertEquals(4, s.get("selected").size());

        JsonNode jobs = json.readTree(get("/fedpipe/jobs").body());
        assertEquals(id, jobs.get("jobs").get(0).get("jobId").asText());
        HttpResponse<String> one = get("/fedpipe/jobs/" + id);
        assertEquals(200, one.statusCode());
        assertTrue(one.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode detail = json.readTree(one.body());
        assertEquals(2, detail.get("plan").size());
        assertEquals(0.75, detail.get("history").get(0).get("nodes").get(0).get("loss").asDouble(), 1e-12);
        assertEquals(404, get("/fedpipe/jobs/no-such-job").statusCode());
        JsonNode nodes = json.readTree(get("/fedpipe/nodes").body());
        assertEquals(List.of("edge-a", "edge-b"), List.of(nodes.get("nodes").get(0).get("profile").get("nodeId").asText(),
                nodes.get("nodes").get(1).get("profile").get("nodeId").asText()));
        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("fedpipe_node_bytes_sent_total{job=\"" + id + "\",node=\"edge-a\"} 2000"), metrics);
        assertTrue(metrics.contains("fedpipe_node_loss{job=\"" + id + "\",node=\"edge-b\"} 0.750000"), metrics);
        assertTrue(metrics.contains("fedpipe_job_round{job=\"" + id + "\"} 2"), metrics);
        assertTrue(metrics.contains("fedpipe_nodes_up 2"), metrics);

        CliRun cancel = cli("cancel", id, "--contact", contact);
        assertEquals(0, cancel.exitCode(), cancel.err());
        assertEquals("cancelled " + id, cancel.out().strip());
        CliRun watch = cli("watch", id, "--contact", contact, "--interval", "0.2");
        assertEquals(1, watch.exitCode(), watch.out() + watch.err());
        assertTrue(watch.out().lines().anyMatch(l -> l.startsWith("round 1/3") && l.contains("loss 0.7500")), watch.out());
        assertTrue(watch.out().contains("job " + id + " cancelled: cancelled by a user"), watch.out());
        assertEquals(1, cli("cancel", id, "--contact", contact).exitCode(), "already cancelled");
    }

    @Test
    void badInputIsOneLineWithExitCodeTwoAndTheGatewayValidatesToo() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.conf"), StandIns.jobText(2).replace("strategy = fedpipe",
                "strategy = fedsgd"));
        CliRun run = cli("submit", bad.toString(), "--contact", contact);
        assertEquals(2, run.exitCode());
        assertEquals(List.of("fedpipe: bad.conf:5: key 'strategy': unknown strategy 'fedsgd'; valid: fedpipe, flexlora,"
                + " hetlora, fedavg-lora, raflora, florist"), run.errLines());

        CliRun unknown = cli("status", "no-such-job", "--contact", contact);
        assertEquals(2, unknown.exitCode());
        assertEquals(1, unknown.errLines().size(), unknown.err());

        try (GatewayClient client = GatewayClient.connect(List.of(contact), "fedpipe", "127.0.0.1")) {
            GatewayProtocol.Reply r = client.ask(new GatewayProtocol.SubmitJob("remote.conf",
                    StandIns.jobText(2).replace("quorum = 0.75", "quorum = 1.5")), Duration.ofSeconds(15));
            assertEquals(new GatewayProtocol.JobRejected("remote.conf:9: key 'quorum' must be in (0, 1], got 1.5"), r);
        }

        CliRun nobody = cli("status", "x", "--contact", "127.0.0.1:1", "--timeout", "2");
        assertEquals(3, nobody.exitCode());
        assertEquals(1, nobody.errLines().size(), nobody.err());
    }
}
