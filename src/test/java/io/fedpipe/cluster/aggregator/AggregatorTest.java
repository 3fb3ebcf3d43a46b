package io.fedpipe.cluster.aggregator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.aggregation.Failure;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.cluster.DataPlaneFixtures;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.JobProtocol.AggregatorCommand;
import io.fedpipe.cluster.protocol.JobProtocol.GetGlobal;
import io.fedpipe.cluster.protocol.JobProtocol.GlobalSlice;
import io.fedpipe.cluster.protocol.JobProtocol.NodeRoundStats;
import io.fedpipe.cluster.protocol.JobProtocol.OpenRound;
import io.fedpipe.cluster.protocol.JobProtocol.RoundClosed;
import io.fedpipe.cluster.protocol.JobProtocol.SchedulerEvent;
import io.fedpipe.cluster.protocol.RoundProtocol.DeltaAck;
import io.fedpipe.cluster.protocol.RoundProtocol.DeltaUpload;
import io.fedpipe.cluster.protocol.RoundProtocol.Outcome;
import io.fedpipe.cluster.protocol.RoundProtocol.RoundAssignment;
import io.fedpipe.cluster.protocol.RoundProtocol.RoundDeclined;
import io.fedpipe.core.HostTensor;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.round.NodeRoundPlan;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One aggregator partition spawned directly (no cluster, no sharding: a probe plays its shard),
 * probes as its trainers and scheduler, over tiny rank-2 adapters of one MiniLM q matrix: the
 * aggregation is pure Java, no model is loaded. Its checkpoint goes to an H2 file, as on a node.
 */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AggregatorTest {

    private static final MatrixId Q0 = new MatrixId(0, LoraTarget.Q);
    private static final int HIDDEN = 384;
    private static final Duration WAIT = Duration.ofSeconds(15);

    @JUnit5TestKit
    ActorTestKit testKit = DataPlaneFixtures.localTestKit("aggregator-test");

    @BeforeAll
    void schema() throws Exception {
        SchemaUtils.createIfNotExists(testKit.system()).toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    /** A partition (the only one of its job) with probes for its shard, scheduler and trainers. */
    private final class Partition {
        final JobSpec job;
        final TestProbe<ClusterSharding.ShardCommand> shard = testKit.createTestProbe();
        final TestProbe<SchedulerEvent> scheduler = testKit.createTestProbe();
        final TestProbe<DeltaAck> acks = testKit.createTestProbe();
        final Map<String, TestProbe<RoundAssignment>> trainers = new LinkedHashMap<>();
        ActorRef<AggregatorCommand> entity;

        Partition(String jobId, double quorum, long timeoutMs, String... nodes) {
            job = DataPlaneFixtures.job(jobId, "wordnet-topics", 1, quorum, timeoutMs);
            for (String n : nodes) {
                trainers.put(n, testKit.createTestProbe());
            }
            entity = spawn();
        }

        /** The entity as its shard would start it (a fresh incarnation each call). */
        ActorRef<AggregatorCommand> spawn() {
            String id = Aggregator.entityId(job.jobId(), 0);
            return testKit.spawn(Aggregator.create(id, shard.ref()), job.jobId() + "-" + System.nanoTime());
        }

        void open(int round) {
            List<NodeRoundPlan> plans = trainers.keySet().stream()
                    .map(n -> new NodeRoundPlan(n, Map.of(Q0, 2), 1, 2, "fp32")).toList();
            Map<String, ActorRef<RoundAssignment>> refs = new LinkedHashMap<>();
            trainers.forEach((n, p) -> refs.put(n, p.ref()));
            entity.tell(new OpenRound(job, 0, round, plans, refs, scheduler.ref()));
        }

        RoundAssignment slice(String node) {
            RoundAssignment a = trainers.get(node).receiveMessage(WAIT);
            assertEquals(node, a.assignment().nodeId());
            return a;
        }

        /** Uploads an update whose factors are all {@code value}, as the trainer would, and returns the ack. */
        DeltaAck deliver(RoundAssignment a, float value) {
            NodeUpdate u = NodeUpdate.lora(a.assignment().nodeId(), 10, Map.of(Q0, adapter(value)), Map.of(Q0, 4f));
            a.replyTo().tell(new DeltaUpload(job.jobId(), 0, a.assignment().round(), u, 0.1, 0.5, 100, acks.ref()));
            return acks.receiveMessage(WAIT);
        }

        RoundClosed closed() {
            return scheduler.expectMessageClass(RoundClosed.class, WAIT);
        }

        GlobalSlice global() {
            TestProbe<GlobalSlice> probe = testKit.createTestProbe();
            entity.tell(new GetGlobal(job.jobId(), 0, probe.ref()));
            return probe.receiveMessage(WAIT);
        }
    }

    /** A [2, 384], B [384, 2], every entry {@code value}. */
    private static PeftAdapters.Adapter adapter(float value) {
        float[] a = new float[2 * HIDDEN];
        float[] b = new float[HIDDEN * 2];
        Arrays.fill(a, value);
        Arrays.fill(b, value);
        return new PeftAdapters.Adapter(new HostTensor(new long[] {2, HIDDEN}, a),
                new HostTensor(new long[] {HIDDEN, 2}, b));
    }

    private static List<String> delivered(RoundClosed c) {
        return c.nodes().stream().map(NodeRoundStats::nodeId).toList();
    }

    private static List<String> failed(RoundClosed c) {
        return c.failures().stream().map(Failure::nodeId).toList();
    }

    @Test
    void barrierClosesWhenEveryPlannedNodeDelivered() {
        Partition p = new Partition("agg-barrier", 1.0, 60_000, "a", "b");
        p.open(1);
        RoundAssignment a = p.slice("a");
        RoundAssignment b = p.slice("b");
        assertEquals(Outcome.ACCEPTED, p.deliver(a, 0.01f).outcome());
        p.scheduler.expectNoMessage(Duration.ofMillis(200));
        assertEquals(Outcome.ACCEPTED, p.deliver(b, 0.02f).outcome());
        RoundClosed closed = p.closed();
        assertEquals(1, closed.round());
        assertEquals(List.of("a", "b"), delivered(closed));
        assertTrue(closed.failures().isEmpty() && closed.rejected().isEmpty(), closed.toString());
        assertEquals(1, p.global().roundsDone());
    }

    @Test
    void quorumClosesEarlyAndALateDeltaIsStale() {
        Partition p = new Partition("agg-quorum", 0.5, 60_000, "a", "b", "c", "d");
        p.open(1);
        RoundAssignment a = p.slice("a");
        RoundAssignment b = p.slice("b");
        RoundAssignment c = p.slice("c");
        p.deliver(a, 0.01f);
        p.scheduler.expectNoMessage(Duration.ofMillis(200));
        p.deliver(b, 0.02f);
        RoundClosed closed = p.closed();
        assertEquals(List.of("a", "b"), delivered(closed));
        assertEquals(List.of("c", "d"), failed(closed));
        DeltaAck late = p.deliver(c, 0.03f);
        assertEquals(Outcome.STALE, late.outcome());
        assertTrue(late.rejections().isEmpty());
    }

    @Test
    void deadlineClosesWithWhatItHas() {
        Partition p = new Partition("agg-deadline", 1.0, 400, "a", "b");
        p.open(1);
        RoundAssignment a = p.slice("a");
        p.slice("b");
        p.deliver(a, 0.01f);
        RoundClosed closed = p.closed();
        assertEquals(List.of("a"), delivered(closed));
        assertEquals(List.of("b"), failed(closed));
        assertTrue(closed.failures().get(0).reason().contains("deadline"), closed.failures().toString());
    }

    @Test
    void duplicateIsAcknowledgedAsDuplicateAndADeltaOfAnOlderRoundAsStale() {
        Partition p = new Partition("agg-dup", 1.0, 60_000, "a", "b");
        p.open(1);
        RoundAssignment a0 = p.slice("a");
        RoundAssignment b0 = p.slice("b");
        assertEquals(Outcome.ACCEPTED, p.deliver(a0, 0.01f).outcome());
        assertEquals(Outcome.DUPLICATE, p.deliver(a0, 0.01f).outcome());
        p.deliver(b0, 0.02f);
        assertEquals(List.of("a", "b"), delivered(p.closed()));
        p.open(2);
        RoundAssignment a1 = p.slice("a");
        p.slice("b");
        assertEquals(2, a1.assignment().round());
        assertEquals(Outcome.STALE, p.deliver(b0, 0.02f).outcome());
        assertEquals(Outcome.ACCEPTED, p.deliver(a1, 0.01f).outcome());
    }

    @Test
    void aBadDeltaIsRejectedWithAReasonAndARoundWhereEveryNodeFailedClosesWithTheFailures() {
        Partition p = new Partition("agg-bad", 1.0, 60_000, "a", "b");
        p.open(1);
        RoundAssignment a = p.slice("a");
        RoundAssignment b = p.slice("b");
        DeltaAck bad = p.deliver(a, Float.NaN);
        assertEquals(Outcome.REJECTED, bad.outcome());
        assertFalse(bad.rejections().isEmpty());
        assertEquals("lora_A holds NaN at flat index 0", bad.rejections().get(0).reason());
        b.replyTo().tell(new RoundDeclined(p.job.jobId(), 0, 1, new Failure("b", "out of memory")));
        RoundClosed closed = p.closed();
        assertTrue(closed.nodes().isEmpty());
        assertEquals(List.of("a", "b"), failed(closed));
        assertTrue(closed.failures().get(0).reason().startsWith("every entry of its delta was rejected"));
        assertEquals("out of memory", closed.failures().get(1).reason());
        GlobalSlice g = p.global();
        assertEquals(1, g.roundsDone());
        assertTrue(g.adapters().isEmpty(), "nothing usable: the (empty) global is carried over");
    }

    @Test
    void aPassivatedPartitionRecoversFromItsCheckpointAndAnswersAReissuedClosedRound() {
        Partition p = new Partition("agg-passivate", 1.0, 60_000, "a");
        p.open(1);
        p.deliver(p.slice("a"), 0.01f);
        RoundClosed first = p.closed();

        p.entity.tell(new Aggregator.Passivate(p.job.jobId(), 0));
        ClusterSharding.Passivate<?> asked = p.shard.expectMessageClass(ClusterSharding.Passivate.class, WAIT);
        assertEquals(p.entity, asked.entity());
        testKit.stop(p.entity, WAIT);

        p.entity = p.spawn();
        p.open(1);
        assertEquals(first, p.closed(), "the re-issued closed round is answered from the checkpoint");
        p.trainers.get("a").expectNoMessage(Duration.ofMillis(200));
        GlobalSlice g = p.global();
        assertEquals(1, g.roundsDone());
        assertEquals(List.of(Q0), List.copyOf(g.adapters().keySet()));
        p.open(2);
        assertEquals(2, p.slice("a").assignment().round());
    }
}
