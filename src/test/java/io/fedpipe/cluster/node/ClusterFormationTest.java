package io.fedpipe.cluster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.cluster.InJvmCluster;
import io.fedpipe.cluster.WireSamples;
import io.fedpipe.cluster.protocol.RoundProtocol;
import io.fedpipe.cluster.protocol.WireMessage;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.aggregation.NodeUpdate;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes in one JVM (STACK.md rule 8), started through the same {@link FedPipeNode#init}
 * as {@code fedpipe node}: they form a cluster, management answers on loopback, and a 5 MB
 * adapter slice crosses nodes on the large-message lane.
 */
class ClusterFormationTest {

    /** Not in the wire registry: the sender must refuse it and live on. */
    record Unlisted(String text) implements WireMessage {}

    @TempDir
    static Path dir;

    private static InJvmCluster cluster;
    private static List<ActorTestKit> kits;
    private static List<FedPipeNode.Started> started;

    @BeforeAll
    static void startThreeNodes() throws Exception {
        cluster = InJvmCluster.start(dir, new String[] {"[scheduler, gateway, aggregator, edge]", "[aggregator, edge]",
                "[edge]"}, i -> List.of(
                        // The test's relay below stands in for a trainer on the large-message lane.
                        "pekko.remote.artery.large-message-destinations += \"/user/trainer\"",
                        // Three systems share 2 cores: be patient with heartbeats while they start.
                        "pekko.cluster.failure-detector.acceptable-heartbeat-pause = 10s"), 30);
        kits = cluster.kits();
        started = cluster.started();
    }

    @AfterAll
    static void stopAll() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void allMembersComeUpAndManagementAnswersOnLoopback() throws Exception {
        assertEquals(3, kits.size());
        cluster.awaitMembersUp(Duration.ofSeconds(30));
        assertTrue(Cluster.get(kits.get(1).system()).selfMember().hasRole("aggregator"));

        URI base = URI.create(started.get(1).managementUri());
        assertEquals("127.0.0.1", base.getHost());
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> members = http.send(HttpRequest.newBuilder(base.resolve("/cluster/members")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, members.statusCode());
        JsonNode json = new ObjectMapper().readTree(members.body());
        assertEquals(3, json.get("members").size(), members.body());
        for (JsonNode m : json.get("members")) {
            assertEquals("Up", m.get("status").asText());
        }
        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(base.resolve("/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode(), ready.body());
    }

    @Test
    void aFiveMegabyteDeltaCrossesNodesAndAnUnregisteredMessageIsDroppedWithoutHarm() {
        ActorTestKit sender = kits.get(0);
        ActorTestKit receiver = kits.get(2);
        TestProbe<WireMessage> inbox = receiver.createTestProbe();
        // At a path the test adds to the large-message lane, as application.conf adds the trainer's.
        ActorRef<WireMessage> trainer = receiver.spawn(Behaviors.<WireMessage>receiveMessage(m -> {
            inbox.ref().tell(m);
            return Behaviors.same();
        }), "trainer");
        String path = ActorRefResolver.get(receiver.system()).toSerializationFormat(trainer);
        ActorRef<WireMessage> remote = ActorRefResolver.get(sender.system()).resolveActorRef(path);

        remote.tell(new Unlisted("refused by the sender's serializer"));
        MatrixId q = new MatrixId(0, LoraTarget.Q);
        NodeUpdate update = NodeUpdate.lora("node-3", 10, Map.of(q, WireSamples.adapter(21, 8, 81920, 81920)),
                Map.of(q, 2.0f));
        RoundProtocol.DeltaUpload upload = new RoundProtocol.DeltaUpload("job", 0, 1, update, 1.5, 0.7, 1600,
                sender.<RoundProtocol.DeltaAck>createTestProbe().ref());
        remote.tell(upload);
        RoundProtocol.DeltaUpload got = (RoundProtocol.DeltaUpload) inbox.receiveMessage(Duration.ofSeconds(20));
        assertEquals(upload.update(), got.update());
        assertEquals(1, got.round());
        // The reply address arrives as a remote reference to the sender's probe.
        assertEquals(upload.replyTo().path().name(), got.replyTo().path().name());
        assertEquals(Cluster.get(sender.system()).selfMember().address(), got.replyTo().path().address());
        inbox.expectNoMessage(Duration.ofMillis(300));
    }
}
