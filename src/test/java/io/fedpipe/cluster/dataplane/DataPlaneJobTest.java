package io.fedpipe.cluster.dataplane;

import io.fedpipe.cluster.InJvmCluster;

import static io.fedpipe.cluster.DataPlaneFixtures.maxDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.aggregation.Failure;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.cluster.aggregator.Aggregator;
import io.fedpipe.cluster.node.FedPipeNode;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.protocol.JobProtocol.GlobalSlice;
import io.fedpipe.cluster.protocol.JobProtocol.JobPrepared;
import io.fedpipe.cluster.protocol.JobProtocol.RoundClosed;
import io.fedpipe.cluster.protocol.JobProtocol.SchedulerEvent;
import io.fedpipe.cluster.protocol.JobProtocol.TrainerCommand;
import io.fedpipe.cluster.protocol.RoundProtocol;
import io.fedpipe.cluster.protocol.RoundProtocol.DeltaAck;
import io.fedpipe.cluster.protocol.RoundProtocol.Outcome;
import io.fedpipe.cluster.protocol.RoundProtocol.RoundAssignment;
import io.fedpipe.cluster.trainer.Trainer;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.core.HostTensor;
import io.fedpipe.round.Emulation;
import io.fedpipe.round.NodeRoundPlan;
import io.fedpipe.runtime.OneIntraOpThread;
import io.fedpipe.simulation.ReferenceSimulation;
import io.fedpipe.simulation.RoundReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole job through the data plane, three nodes in one JVM started by {@link FedPipeNode#init}
 * (two host aggregator partitions, all three train; node-3 runs at compute-scale 0.5), with the
 * test playing the scheduler, and a fourth planned node "mallory" played by a probe that sends
 * bad, duplicate and stale deltas. The key assertion: the global adapters and head after two
 * rounds equal, within 1e-5, those of the in-process simulator run on the same seed, data split
 * and plans, although partition 1 was passivated after round 1 and resumed from its checkpoint.
 */
@ExtendWith(OneIntraOpThread.class)
class DataPlaneJobTest {

    private static final String JOB = "job-dp";
    private static final long SEED = 7;
    private static final float ALPHA = 8;
    private static final int STEPS = 3;
    private static final int BATCH = 4;
    private static final List<String> NODES = List.of("node-1", "node-2", "node-3");
    private static final String MALLORY = "mallory";
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    static Path dir;

    private static InJvmCluster cluster;
    private static List<ActorTestKit> kits;

    @BeforeAll
    static void start() throws Exception {
        cluster = InJvmCluster.start(dir, new String[] {"[aggregator, edge]", "[aggregator, edge]", "[edge]"},
                i -> List.of("fedpipe.node.resources.compute-scale = " + (i == 2 ? 0.5 : 1.0),
                        // One journal for all nodes, as a multi-machine cluster shares one database.
                        "fedpipe.persistence.h2-file = \"" + dir.resolve("journal/fedpipe") + "\"",
                        "pekko.cluster.failure-detector.acceptable-heartbeat-pause = 20s"), 60);
        kits = cluster.kits();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static JobSpec job() {
        return new JobSpec(JOB, "minilm-l6", new JobSpec.Data("wordnet-topics", 120, 40, "iid", 0.5), "fedpipe", 2,
                List.of("q", "v"), ALPHA, 5e-3f, 1, 16, SEED, 2, 1.0, 120_000L,
                new JobSpec.PlannerChoices("cpu-2core", List.of("fp32"), List.of(BATCH), List.of(2, 4), STEPS, STEPS,
                        0.1, 0.8, 3.0), null, Double.POSITIVE_INFINITY, "fedpipe", "default");
    }

    /** Heterogeneous plans: ranks 4 and 2 on every q and v, node-3 only the q matrices; mallory as node-1. */
    private static List<NodeRoundPlan> plans() {
        Map<MatrixId, Integer> r4 = new TreeMap<>();
        Map<MatrixId, Integer> r2 = new TreeMap<>();
        Map<MatrixId, Integer> q4 = new TreeMap<>();
        for (int layer = 0; layer < 6; layer++) {
            for (LoraTarget t : List.of(LoraTarget.Q, LoraTarget.V)) {
                r4.put(new MatrixId(layer, t), 4);
                r2.put(new MatrixId(layer, t), 2);
            }
            q4.put(new MatrixId(layer, LoraTarget.Q), 4);
        }
        return List.of(new NodeRoundPlan("node-1", r4, STEPS, BATCH, "fp32"),
                new NodeRoundPlan("node-2", r2, STEPS, BATCH, "fp32"),
                new NodeRoundPlan("node-3", q4, STEPS, BATCH, "fp32"),
                new NodeRoundPlan(MALLORY, r4, STEPS, BATCH, "fp32"));
    }

    /** The same job in the in-process simulator; mallory trains on node-1's shard and delivers nothing. */
    private static ReferenceSimulation.Result simulate() throws Exception {
        JobSpec job = job();
        return ReferenceSimulation.of(job.task(), SEED).limits(job.limitTrain(), job.limitValidation()).nodes(NODES)
                .node(MALLORY, 0, Emulation.NONE).model(job.model()).targets(EnumSet.of(LoraTarget.Q, LoraTarget.V))
                .alpha(ALPHA).lr(job.lr()).warmup(job.warmup()).maxLength(job.maxLength())
                .localRound(honest -> (a, data) -> {
                    if (a.nodeId().equals(MALLORY)) {
                        throw new IllegalStateException("mallory delivers nothing usable");
                    }
                    return honest.run(a, data);
                })
                .run(job.rounds(), plans());
    }

    @Test
    void aJobThroughTrainersAndPartitionsEqualsTheSimulatorAndSurvivesAPassivation() throws Exception {
        long t0 = System.nanoTime();
        ReferenceSimulation.Result sim = simulate();
        double simSeconds = (System.nanoTime() - t0) / 1e9;
        cluster.awaitMembersUp(WAIT);
        ActorTestKit k0 = kits.get(0);
        JobSpec job = job();

        // The scheduler finds the trainers with the Receptionist and prepares them: shard i of 3.
        Map<String, ActorRef<TrainerCommand>> trainers = trainers();
        TestProbe<SchedulerEvent> scheduler = k0.createTestProbe();
        for (int i = 0; i < NODES.size(); i++) {
            trainers.get(NODES.get(i)).tell(new JobProtocol.PrepareJob(job, i, NODES.size(), List.of(), "fp32", BATCH,
                    scheduler.ref()));
        }
        Map<String, Integer> examples = new HashMap<>();
        for (int i = 0; i < NODES.size(); i++) {
            JobPrepared p = scheduler.expectMessageClass(JobPrepared.class, WAIT);
            examples.put(p.nodeId(), p.trainExamples());
        }
        // The shards of the simulator's split: 120 examples over 3 IID nodes.
        assertEquals(Map.of("node-1", 40, "node-2", 40, "node-3", 40), examples);

        TestProbe<TrainerCommand> mallory = k0.createTestProbe();
        TestProbe<DeltaAck> malloryAcks = k0.createTestProbe();
        Map<String, ActorRef<RoundAssignment>> addresses = new HashMap<>();
        trainers.forEach((node, ref) -> addresses.put(node, ref.narrow()));
        addresses.put(MALLORY, mallory.ref().narrow());

        // Round 1. Mallory sends partition 0 NaN adapters and partition 1 transposed ones, then repeats them.
        List<RoundClosed> round1 = openRound(job, 1, addresses, scheduler, () -> {
            Map<Integer, RoundAssignment> slices = slicesOf(mallory);
            for (int p = 0; p < 2; p++) {
                RoundAssignment a = slices.get(p);
                NodeUpdate bad = badUpdate(a, p == 0);
                a.replyTo().tell(new RoundProtocol.DeltaUpload(JOB, p, 1, bad, 1, 1, 1, malloryAcks.ref()));
                DeltaAck ack = malloryAcks.expectMessageClass(DeltaAck.class, WAIT);
                assertEquals(Outcome.REJECTED, ack.outcome(), ack.toString());
                assertEquals(bad.adapters().size(), ack.rejections().size(), ack.toString());
                String expected = p == 0 ? "lora_A holds NaN at flat index 0" : "do not fit matrix";
                assertTrue(ack.rejections().stream().allMatch(r -> r.reason().contains(expected)), ack.toString());
                a.replyTo().tell(new RoundProtocol.DeltaUpload(JOB, p, 1, bad, 1, 1, 1, malloryAcks.ref()));
                assertEquals(Outcome.DUPLICATE, malloryAcks.expectMessageClass(DeltaAck.class, WAIT).outcome());
            }
            return slices;
        });
        for (RoundClosed c : round1) {
            assertEquals(1, c.round());
            assertEquals(List.of(MALLORY), c.failures().stream().map(Failure::nodeId).toList(), c.toString());
            assertTrue(c.failures().get(0).reason().contains("every entry of its delta was rejected"), c.toString());
            assertEquals(NODES, c.nodes().stream().map(JobProtocol.NodeRoundStats::nodeId).toList());
            assertTrue(c.rejected().isEmpty(), c.toString());
        }
        // node-3 runs at half speed: it answers after at least twice its measured compute.
        JobProtocol.NodeRoundStats slow = round1.get(0).nodes().get(2);
        assertTrue(slow.trainMillis() >= 2000 * slow.computeSeconds(), slow.toString());

        // Partition 1 is passivated; re-issuing round 1 is answered by a new incarnation from its checkpoint.
        GlobalSlice before = global(1);
        ActorRef<RoundProtocol.TrainerReply> oldEntity = lastAggregatorRef;
        TestProbe<Object> watcher = k0.createTestProbe();
        Aggregator.ref(k0.system(), JOB, 1).tell(new Aggregator.Passivate(JOB, 1));
        watcher.expectTerminated(oldEntity, WAIT);
        Aggregator.ref(k0.system(), JOB, 1).tell(new JobProtocol.OpenRound(job, 1, 1, plans(), addresses, scheduler.ref()));
        assertEquals(round1.get(1), scheduler.expectMessageClass(RoundClosed.class, WAIT));
        assertEquals(before, global(1));
        assertEquals(1, before.roundsDone());

        // Round 2. Mallory declines; a late delta of round 1 is stale.
        List<RoundClosed> round2 = openRound(job, 2, addresses, scheduler, () -> {
            Map<Integer, RoundAssignment> slices = slicesOf(mallory);
            for (int p = 0; p < 2; p++) {
                slices.get(p).replyTo().tell(new RoundProtocol.RoundDeclined(JOB, p, 2,
                        new Failure(MALLORY, "plan needs 900 MiB, budget 512 MiB")));
            }
            slices.get(0).replyTo().tell(new RoundProtocol.DeltaUpload(JOB, 0, 1,
                    NodeUpdate.lora(MALLORY, 40, Map.of(), Map.of()), 1, 1, 1, malloryAcks.ref()));
            assertEquals(Outcome.STALE, malloryAcks.expectMessageClass(DeltaAck.class, WAIT).outcome());
            return slices;
        });
        assertNotEquals(oldEntity, lastAggregatorRef, "partition 1 runs round 2 in a new incarnation");
        for (RoundClosed c : round2) {
            assertEquals(List.of(new Failure(MALLORY, "plan needs 900 MiB, budget 512 MiB")), c.failures());
        }
        // Round 2 traffic per node, summed over partitions, is what the simulator sent and received.
        RoundReport simRound2 = sim.reports().get(2);
        for (String node : NODES) {
            long down = 0;
            long up = 0;
            for (RoundClosed c : round2) {
                JobProtocol.NodeRoundStats s = c.nodes().stream().filter(n -> n.nodeId().equals(node)).findFirst()
                        .orElseThrow();
                down += s.bytesDown();
                up += s.bytesUp();
            }
            assertEquals(simRound2.nodes().get(node).bytesDown(), down, node);
            assertEquals(simRound2.nodes().get(node).bytesUp(), up, node);
        }

        // The key assertion: the partitions together hold the simulator's global adapters and head.
        GlobalSlice g0 = global(0);
        GlobalSlice g1 = global(1);
        assertEquals(2, g0.roundsDone());
        assertEquals(2, g1.roundsDone());
        assertTrue(g1.dense().isEmpty(), "the head lives in partition 0");
        Map<MatrixId, ScaledAdapter> cluster = new TreeMap<>(g0.adapters());
        cluster.putAll(g1.adapters());
        g0.adapters().keySet().forEach(id -> assertEquals(0, JobProtocol.partitionOf(id, 2), id.toString()));
        g1.adapters().keySet().forEach(id -> assertEquals(1, JobProtocol.partitionOf(id, 2), id.toString()));
        assertEquals(12, cluster.size());
        assertEquals(sim.last().global().keySet(), cluster.keySet());
        double worst = 0;
        for (Map.Entry<MatrixId, ScaledAdapter> e : sim.last().global().entrySet()) {
            ScaledAdapter c = cluster.get(e.getKey());
            assertEquals(e.getValue().rank(), c.rank(), e.getKey().toString());
            assertEquals(e.getValue().scale(), c.scale(), 1e-7, e.getKey().toString());
            worst = Math.max(worst, maxDiff(e.getValue().adapter().a(), c.adapter().a()));
            worst = Math.max(worst, maxDiff(e.getValue().adapter().b(), c.adapter().b()));
        }
        assertEquals(sim.last().dense().keySet(), g0.dense().keySet());
        for (String name : sim.last().dense().keySet()) {
            worst = Math.max(worst, maxDiff(sim.last().dense().get(name), g0.dense().get(name)));
        }
        double norm = 0;
        for (ScaledAdapter a : cluster.values()) {
            for (float x : a.adapter().b().data()) {
                norm += x * x;
            }
        }
        System.out.printf("data plane vs simulator: max |difference| %.3g over 12 adapters and the head; "
                + "‖B‖ %.4f; global ranks %s; simulator %.1f s, whole test %.1f s%n", worst, Math.sqrt(norm),
                cluster.values().stream().map(ScaledAdapter::rank).toList(), simSeconds, (System.nanoTime() - t0) / 1e9);
        assertTrue(worst <= 1e-5, "max difference " + worst);
        assertTrue(norm > 1e-6, "the adapters were trained (B is no longer zero)");

        for (int p = 0; p < 2; p++) {
            Aggregator.ref(k0.system(), JOB, p).tell(new JobProtocol.FinishJob(JOB, "finished"));
        }
        trainers.values().forEach(t -> t.tell(new JobProtocol.FinishJob(JOB, "finished")));
    }

    /** The aggregator reference mallory last saw in a partition-1 slice: which incarnation runs it. */
    private static ActorRef<RoundProtocol.TrainerReply> lastAggregatorRef;

    @FunctionalInterface
    private interface Mallory {
        Map<Integer, RoundAssignment> play() throws Exception;
    }

    /** Opens {@code round} in both partitions, lets mallory play, and returns both RoundClosed by partition. */
    private static List<RoundClosed> openRound(JobSpec job, int round, Map<String, ActorRef<RoundAssignment>> to,
            TestProbe<SchedulerEvent> scheduler, Mallory mallory) throws Exception {
        for (int p = 0; p < 2; p++) {
            Aggregator.ref(kits.get(0).system(), JOB, p).tell(new JobProtocol.OpenRound(job, p, round, plans(), to,
                    scheduler.ref()));
        }
        lastAggregatorRef = mallory.play().get(1).replyTo();
        RoundClosed[] closed = new RoundClosed[2];
        for (int i = 0; i < 2; i++) {
            RoundClosed c = scheduler.expectMessageClass(RoundClosed.class, WAIT);
            closed[c.partition()] = c;
        }
        return List.of(closed);
    }

    private static Map<Integer, RoundAssignment> slicesOf(TestProbe<TrainerCommand> mallory) {
        Map<Integer, RoundAssignment> slices = new HashMap<>();
        for (int i = 0; i < 2; i++) {
            RoundAssignment a = mallory.expectMessageClass(RoundAssignment.class, WAIT);
            slices.put(a.partition(), a);
        }
        return slices;
    }

    /** NaN adapters for partition 0; transposed ones (A [in, r], B [r, out]) for partition 1. */
    private static NodeUpdate badUpdate(RoundAssignment a, boolean nan) {
        Map<MatrixId, PeftAdapters.Adapter> adapters = new TreeMap<>();
        Map<MatrixId, Float> scales = new TreeMap<>();
        a.assignment().plan().ranks().forEach((id, r) -> {
            if (JobProtocol.partitionOf(id, 2) == a.partition()) {
                float[] x = new float[r * 384];
                if (nan) {
                    java.util.Arrays.fill(x, Float.NaN);
                }
                HostTensor ra = new HostTensor(new long[] {r, 384}, x);
                HostTensor ar = new HostTensor(new long[] {384, r}, x.clone());
                adapters.put(id, nan ? new PeftAdapters.Adapter(ra, ar) : new PeftAdapters.Adapter(ar, ra));
                scales.put(id, ALPHA / r);
            }
        });
        return NodeUpdate.lora(MALLORY, 40, adapters, scales);
    }

    /** Asked as the scheduler or a client would: the reply goes to a temporary actor on the large-message lane. */
    private static GlobalSlice global(int partition) throws Exception {
        return Aggregator.ref(kits.get(0).system(), JOB, partition)
                .<GlobalSlice>ask(replyTo -> new JobProtocol.GetGlobal(JOB, partition, replyTo), WAIT)
                .toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** The trainer of each node as the first node's Receptionist lists them, by node name. */
    private static Map<String, ActorRef<TrainerCommand>> trainers() {
        ActorTestKit k0 = kits.get(0);
        TestProbe<Receptionist.Listing> probe = k0.createTestProbe();
        Map<String, ActorRef<TrainerCommand>> out = new HashMap<>();
        probe.awaitAssert(WAIT, Duration.ofMillis(300), () -> {
            k0.system().receptionist().tell(Receptionist.find(Trainer.SERVICE_KEY, probe.ref()));
            var refs = probe.receiveMessage().getServiceInstances(Trainer.SERVICE_KEY);
            assertEquals(3, refs.size(), refs.toString());
            for (ActorRef<TrainerCommand> ref : refs) {
                for (int i = 0; i < kits.size(); i++) {
                    Address node = Cluster.get(kits.get(i).system()).selfMember().address();
                    boolean local = ref.path().address().hasLocalScope();
                    if (local ? i == 0 : ref.path().address().equals(node)) {
                        out.put(NODES.get(i), ref);
                    }
                }
            }
            assertEquals(3, out.size(), out.toString());
            return null;
        });
        return out;
    }
}
