package io.fedpipe.cluster.e2e;

import static io.fedpipe.cluster.DataPlaneFixtures.maxDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.cluster.InJvmCluster;
import io.fedpipe.aggregation.AggregationResult;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.cluster.aggregator.Aggregator;
import io.fedpipe.cluster.gateway.GatewayClient;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.cluster.protocol.GatewayProtocol.JobState;
import io.fedpipe.cluster.protocol.GatewayProtocol.JobStatus;
import io.fedpipe.cluster.node.FedPipeNode;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.protocol.JobProtocol.GlobalSlice;
import io.fedpipe.cluster.scheduler.JobPlanning;
import io.fedpipe.cluster.scheduler.SchedulerEvent;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.core.HostTensor;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.round.NodeRoundPlan;
import io.fedpipe.runtime.OneIntraOpThread;
import io.fedpipe.simulation.ReferenceSimulation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole product path in one JVM: three nodes started by {@link FedPipeNode#init} (ports 0, one
 * H2 journal in a temp dir), jobs submitted as a user submits them (a {@link GatewayClient} over
 * Cluster Client to the {@code JobGateway}), the real scheduler singleton, trainers and sharded
 * aggregator partitions. First bad input is refused with its reason and leaves the cluster
 * working; then a small MiniLM job runs to FINISHED, and its global adapters and head equal the
 * in-process simulator's given the plan the scheduler chose, within 1e-5.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(OneIntraOpThread.class)
class ClusterJobEndToEndTest {

    private static final long SEED = 7;
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String[] ROLES = {"[scheduler, gateway, aggregator, edge]", "[aggregator, edge]", "[edge]"};

    @TempDir
    static Path dir;

    private static InJvmCluster cluster;
    private static List<ActorTestKit> kits;
    private static GatewayClient client;

    @BeforeAll
    static void start() throws Exception {
        String schedulerId = "e2e-" + System.nanoTime();
        cluster = InJvmCluster.start(dir, ROLES, i -> List.of(
                "fedpipe.persistence.h2-file = \"" + dir.resolve("journal/fedpipe") + "\"",
                "fedpipe.scheduler.persistence-id = \"" + schedulerId + "\"",
                "fedpipe.scheduler.prepare-timeout = 120s",
                "pekko.cluster.failure-detector.acceptable-heartbeat-pause = 20s"), 60);
        kits = cluster.kits();
        client = GatewayClient.connect(List.of("127.0.0.1:" + cluster.first().getPort().get()), "fedpipe", "127.0.0.1");
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** The job file of the small MiniLM job; {@code overrides} replace keys (later keys win in HOCON). */
    static String jobFile(String... overrides) {
        List<String> lines = new ArrayList<>(List.of("model = minilm-l6", "task = wordnet-topics", "limit-train = 120",
                "limit-validation = 40", "partition { kind = iid }", "strategy = fedpipe", "rounds = 2",
                "targets = \"q,v\"", "alpha = 8", "lr = 5e-3", "warmup = 1", "max-length = 16", "seed = " + SEED,
                "partitions = 2", "quorum = 1.0", "round-timeout = 120s",
                "planner { formats = \"fp32\", batches = [4], ranks = [2, 4], min-steps = 3, max-steps = 3 }"));
        lines.addAll(List.of(overrides));
        return String.join("\n", lines);
    }

    private static GatewayProtocol.Reply ask(GatewayProtocol.Request r) throws Exception {
        return client.ask(r, WAIT);
    }

    /** Submits through the gateway; the job id on acceptance. */
    private static String submit(String name, String text) throws Exception {
        GatewayProtocol.Reply reply = null;
        // The singleton and the trainers' registrations may still be on their way right after start.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            reply = ask(new GatewayProtocol.SubmitJob(name, text));
            if (reply instanceof GatewayProtocol.JobAccepted a) {
                return a.jobId();
            }
            if (!(reply instanceof GatewayProtocol.RequestFailed
                    || reply instanceof GatewayProtocol.JobRejected r && r.reason().startsWith("no edge node"))) {
                break;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("job " + name + " not accepted: " + reply);
    }

    private static JobStatus awaitOver(String id, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        JobStatus s = null;
        while (System.nanoTime() < deadline) {
            s = assertInstanceOf(JobStatus.class, ask(new GatewayProtocol.GetJobStatus(id)));
            if (s.state().over()) {
                return s;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("job " + id + " is not over after " + limit + ": " + s);
    }

    @Test
    @Order(1)
    void badInputIsRefusedWithItsReasonAndTheClusterLivesOn() throws Exception {
        // Waits for the trainers to register, so that the rejections below are about the input.
        awaitThreeTrainers();

        // A malformed file: rejected by the gateway with one line naming file, line and key.
        GatewayProtocol.JobRejected malformed = assertInstanceOf(GatewayProtocol.JobRejected.class,
                ask(new GatewayProtocol.SubmitJob("bad.conf", jobFile("rounds = many"))));
        assertFalse(malformed.reason().contains("\n"), malformed.reason());
        assertTrue(malformed.reason().startsWith("bad.conf:18: key 'rounds'"), malformed.reason());
        GatewayProtocol.JobRejected unknownKey = assertInstanceOf(GatewayProtocol.JobRejected.class,
                ask(new GatewayProtocol.SubmitJob("typo.conf", jobFile("roundz = 3"))));
        assertTrue(unknownKey.reason().contains("unknown key 'roundz'"), unknownKey.reason());

        // An unknown model: the gateway refuses it by name.
        GatewayProtocol.JobRejected model = assertInstanceOf(GatewayProtocol.JobRejected.class,
                ask(new GatewayProtocol.SubmitJob("model.conf", jobFile("model = gpt-17"))));
        assertTrue(model.reason().contains("key 'model' must be minilm-l6, fedpipe-lm-small or a model directory with config.json, got 'gpt-17'"),
                model.reason());
        // A model directory whose config.json is not a model config: the scheduler refuses it.
        Path broken = Files.createDirectories(dir.resolve("broken-model"));
        Files.writeString(broken.resolve("config.json"), "{\"not\": \"a model\"}");
        GatewayProtocol.JobRejected config = assertInstanceOf(GatewayProtocol.JobRejected.class,
                ask(new GatewayProtocol.SubmitJob("broken.conf", jobFile("model = \"" + broken + "\""))));
        assertTrue(config.reason().contains(broken.resolve("config.json").toString()), config.reason());

        // Missing data: accepted (the data lives on the edge nodes), every trainer refuses, the job fails with why.
        String missing = submit("missing.conf", jobFile("task = no-such-dataset"));
        JobStatus failed = awaitOver(missing, Duration.ofSeconds(60));
        assertEquals(JobState.FAILED, failed.state(), failed.toString());
        assertTrue(failed.reason().startsWith("no node prepared the job; refused: "), failed.reason());
        for (String node : List.of("node-1", "node-2", "node-3")) {
            assertTrue(failed.reason().contains(node + "=node " + node + " has no data for task 'no-such-dataset'"),
                    failed.reason());
        }
        System.out.printf("bad input: %s | %s | %s | %s | %s%n", malformed.reason(), unknownKey.reason(),
                model.reason(), config.reason(), failed.reason());
    }

    /** Until the scheduler lists three nodes with a trainer (the singleton and registrations take a moment). */
    private static void awaitThreeTrainers() {
        var scheduler = io.fedpipe.cluster.node.ControlPlane.get(kits.get(0).system()).scheduler().orElseThrow();
        var probe = kits.get(0).<io.fedpipe.cluster.protocol.SchedulerProtocol.NodeList>createTestProbe();
        probe.awaitAssert(Duration.ofSeconds(60), Duration.ofMillis(300), () -> {
            scheduler.tell(new io.fedpipe.cluster.protocol.SchedulerProtocol.GetNodes(probe.ref()));
            var nodes = probe.receiveMessage(Duration.ofSeconds(5));
            assertEquals(3, nodes.nodes().stream().filter(n -> n.up() && n.trainer()).count(), nodes.toString());
            return null;
        });
    }

    @Test
    @Order(2)
    void aSmallJobRunsToFinishedAndEqualsTheSimulatorOnTheSchedulersPlans() throws Exception {
        long t0 = System.nanoTime();
        String id = submit("minilm-small.conf", jobFile());
        JobStatus done = awaitOver(id, Duration.ofSeconds(240));
        double clusterSeconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(JobState.FINISHED, done.state(), done.toString());
        assertEquals(List.of("node-1", "node-2", "node-3"), done.participants());
        assertEquals(12, done.selected().size(), "importance off: every q and v matrix");
        assertEquals(List.of(1, 2), done.history().stream().map(GatewayProtocol.RoundMetrics::round).toList());
        for (GatewayProtocol.RoundMetrics m : done.history()) {
            assertTrue(m.failures().isEmpty(), m.toString());
            assertEquals(List.of("node-1", "node-2", "node-3"),
                    m.nodes().stream().map(GatewayProtocol.NodeMetrics::nodeId).toList());
            m.nodes().forEach(n -> assertTrue(Double.isFinite(n.loss()) && n.bytesUp() > 0, n.toString()));
        }
        // One plan for both rounds: what the simulator is given.
        assertTrue(done.planChanges().isEmpty(), done.planChanges().toString());
        List<NodeRoundPlan> plans = JobPlanning.roundPlans(done.plan().stream().map(r -> new SchedulerEvent.PlannedNode(
                r.nodeId(), r.bits(), r.batch(), r.ranks(), r.steps(), r.plannedComputeSeconds(),
                r.plannedFinishSeconds(), r.memoryBytes(), r.memoryBudget())).toList(), done.selected());
        assertEquals(3, plans.size(), plans.toString());

        Map<MatrixId, ScaledAdapter> cluster = new TreeMap<>();
        Map<String, HostTensor> dense = new TreeMap<>();
        for (int p = 0; p < 2; p++) {
            GlobalSlice g = global(id, p);
            assertEquals(2, g.roundsDone(), "partition " + p);
            cluster.putAll(g.adapters());
            dense.putAll(g.dense());
        }

        long t1 = System.nanoTime();
        AggregationResult sim = simulate(done.participants(), plans);
        double simSeconds = (System.nanoTime() - t1) / 1e9;
        assertEquals(sim.global().keySet(), cluster.keySet());
        assertEquals(sim.dense().keySet(), dense.keySet());
        double worst = 0;
        double norm = 0;
        for (Map.Entry<MatrixId, ScaledAdapter> e : sim.global().entrySet()) {
            ScaledAdapter c = cluster.get(e.getKey());
            assertEquals(e.getValue().rank(), c.rank(), e.getKey().toString());
            assertEquals(e.getValue().scale(), c.scale(), 1e-7, e.getKey().toString());
            worst = Math.max(worst, maxDiff(e.getValue().adapter().a(), c.adapter().a()));
            worst = Math.max(worst, maxDiff(e.getValue().adapter().b(), c.adapter().b()));
            for (float x : c.adapter().b().data()) {
                norm += x * x;
            }
        }
        for (String name : sim.dense().keySet()) {
            worst = Math.max(worst, maxDiff(sim.dense().get(name), dense.get(name)));
        }
        System.out.printf("cluster job vs simulator on the scheduler's plan %s: max |difference| %.3g; ‖B‖ %.4f; "
                + "cluster job %.1f s, simulator %.1f s%n", done.plan(), worst, Math.sqrt(norm), clusterSeconds, simSeconds);
        assertTrue(norm > 1e-6, "the adapters were trained (B is no longer zero)");
        assertTrue(worst <= 1e-5, "max difference " + worst);
    }

    /** The small causal-LM job: the built-in decoder on 60 E2E pairs, q and v adapted, 8 test prompts scored at the end. */
    static String decoderJobFile() {
        return String.join("\n", "model = fedpipe-lm-small", "task = e2e", "limit-train = 60", "partition { kind = iid }",
                "strategy = fedpipe", "rounds = 2", "targets = \"q,v\"", "alpha = 8", "lr = 5e-3", "warmup = 1",
                "max-length = 96", "seed = " + SEED, "partitions = 2", "quorum = 1.0", "round-timeout = 120s",
                "planner { formats = \"fp32,nf4\", batches = [4], ranks = [2, 4], min-steps = 3, max-steps = 3 }",
                "generation { test-prompts = 8, max-new-tokens = 24 }");
    }

    @Test
    @Order(3)
    void aCausalLmJobRunsToFinishedEqualsTheSimulatorAndIsScoredOnTheTestSet() throws Exception {
        long t0 = System.nanoTime();
        String id = submit("decoder-small.conf", decoderJobFile());
        JobStatus done = awaitOver(id, Duration.ofSeconds(300));
        double clusterSeconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(JobState.FINISHED, done.state(), done.toString());
        assertEquals(List.of(1, 2), done.history().stream().map(GatewayProtocol.RoundMetrics::round).toList());
        for (GatewayProtocol.RoundMetrics m : done.history()) {
            assertTrue(m.failures().isEmpty(), m.toString());
            for (GatewayProtocol.NodeMetrics n : m.nodes()) {
                // Every node scored its trained model on its own held-out pairs (2 of its 20).
                assertEquals(2, n.validationExamples(), n.toString());
                assertTrue(n.validationLoss() > 0.5 && n.validationLoss() < 9.1, n.toString());
            }
            assertTrue(Double.isFinite(m.validationLoss()), m.toString());
        }
        assertTrue(done.planChanges().isEmpty(), done.planChanges().toString());
        List<NodeRoundPlan> plans = JobPlanning.roundPlans(done.plan().stream().map(r -> new SchedulerEvent.PlannedNode(
                r.nodeId(), r.bits(), r.batch(), r.ranks(), r.steps(), r.plannedComputeSeconds(),
                r.plannedFinishSeconds(), r.memoryBytes(), r.memoryBudget())).toList(), done.selected());
        Map<MatrixId, ScaledAdapter> cluster = new TreeMap<>();
        for (int p = 0; p < 2; p++) {
            GlobalSlice g = global(id, p);
            assertEquals(2, g.roundsDone(), "partition " + p);
            assertTrue(g.dense().isEmpty(), "a causal-LM job sends no dense tensors: " + g.dense().keySet());
            cluster.putAll(g.adapters());
        }
        Map<MatrixId, ScaledAdapter> sim = DecoderReference.global(done.participants(), plans, SEED, 60, 8f, 5e-3f, 1,
                96, EnumSet.of(LoraTarget.Q, LoraTarget.V));
        assertEquals(sim.keySet(), cluster.keySet());
        double worst = 0;
        double norm = 0;
        for (Map.Entry<MatrixId, ScaledAdapter> e : sim.entrySet()) {
            ScaledAdapter c = cluster.get(e.getKey());
            assertEquals(e.getValue().rank(), c.rank(), e.getKey().toString());
            worst = Math.max(worst, maxDiff(e.getValue().adapter().a(), c.adapter().a()));
            worst = Math.max(worst, maxDiff(e.getValue().adapter().b(), c.adapter().b()));
            for (float x : c.adapter().b().data()) {
                norm += x * x;
            }
        }
        // The finished job is decoded and scored by one node; the scores arrive shortly after FINISHED.
        GatewayProtocol.GenerationEvaluation eval = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (eval == null && System.nanoTime() < deadline) {
            eval = assertInstanceOf(JobStatus.class, ask(new GatewayProtocol.GetJobStatus(id))).evaluation();
            if (eval == null) {
                Thread.sleep(500);
            }
        }
        System.out.printf("causal-LM job vs simulator on %s: max |difference| %.3g, ‖B‖ %.4f, cluster %.1f s;"
                + " evaluation %s%n", done.plan(), worst, Math.sqrt(norm), clusterSeconds, eval);
        assertTrue(norm > 1e-6, "the adapters were trained (B is no longer zero)");
        assertTrue(worst <= 1e-5, "max difference " + worst);
        assertTrue(eval != null, "no evaluation after FINISHED");
        assertEquals(null, eval.error());
        assertEquals(8, eval.prompts());
        assertEquals(java.util.Set.of("bleu", "nist", "meteor", "rouge_l", "cider"), eval.tuned().keySet());
        assertTrue(eval.tuned().get("bleu") >= 0 && eval.tuned().get("bleu") <= 1, eval.toString());
        assertEquals(5, eval.examples().size());
    }

    private static GlobalSlice global(String jobId, int partition) throws Exception {
        return Aggregator.ref(kits.get(0).system(), jobId, partition)
                .<GlobalSlice>ask(replyTo -> new JobProtocol.GetGlobal(jobId, partition, replyTo), Duration.ofSeconds(60))
                .toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    /** The job in the in-process simulator: same seed, split (shard i of the participants) and plans. */
    static AggregationResult simulate(List<String> participants, List<NodeRoundPlan> plans) throws Exception {
        return ReferenceSimulation.of("wordnet-topics", SEED).limits(120, 40).nodes(participants)
                .model(PretrainedModels.MINILM_L6).targets(EnumSet.of(LoraTarget.Q, LoraTarget.V))
                .alpha(8).lr(5e-3f).warmup(1).maxLength(16).run(2, plans).last();
    }
}
