package io.fedpipe.cluster.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fedpipe.cluster.config.NodeConfig;
import io.fedpipe.job.JobSpecReader;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.protocol.NodeProtocol;
import io.fedpipe.cluster.protocol.SchedulerProtocol;
import io.fedpipe.round.LoopTrace;
import io.fedpipe.round.RoundLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The scheduler as an event-sourced behavior, without a cluster to join: each command's persisted
 * events and the state after them (EventSourcedBehaviorTestKit, in-memory journal, events and
 * state checked through their Jackson serializer), recovery from the journal, and the round loop's
 * decisions on a trace of churn and slowness (the simulator's driver takes the same ones:
 * {@code io.fedpipe.simulation.SameDecisionsTest}).
 */
class SchedulerBehaviorTest {

    /** The node's real config (serializer bindings) under the testkit's in-memory journal; no remoting to join. */
    private static final Config CONFIG = EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseString(
            String.join("\n", "pekko.remote.artery.canonical.port = 0", "pekko.loglevel = WARNING",
                    "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on")))
            .withFallback(NodeConfig.layered(ConfigFactory.empty()));

    private static final ActorTestKit KIT = ActorTestKit.create("scheduler-behavior", CONFIG);
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** One message an aggregator partition was sent. */
    record ToPartition(String entityId, JobProtocol.AggregatorCommand message) {}

    private final LinkedBlockingQueue<ToPartition> partitions = new LinkedBlockingQueue<>();
    private final Map<String, NodeProtocol.Register> registrations = new TreeMap<>();
    private final Set<ActorRef<JobProtocol.TrainerCommand>> listed = new java.util.HashSet<>();
    private final Map<String, TestProbe<JobProtocol.TrainerCommand>> trainers = new TreeMap<>();
    private EventSourcedBehaviorTestKit<SchedulerProtocol.Command, SchedulerEvent, SchedulerState> esb;
    private String persistenceId;

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    @BeforeEach
    void start() {
        persistenceId = "scheduler-" + UUID.randomUUID();
        SchedulerSettings settings = new SchedulerSettings(persistenceId, 100, Duration.ofSeconds(30),
                Duration.ofSeconds(30), "cpu-2core");
        esb = EventSourcedBehaviorTestKit.create(KIT.system(),
                Scheduler.create(settings, (entityId, m) -> partitions.add(new ToPartition(entityId, m))),
                EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyCommands(false));
    }

    private Roster roster() {
        return new Roster(registrations, listed);
    }

    private static NodeProfile profile(String id) {
        return new NodeProfile(id, java.util.EnumSet.of(io.fedpipe.cluster.protocol.NodeRole.EDGE), 2L << 30, 100, 50,
                1.0, 1);
    }

    private List<SchedulerEvent> register(String nodeId) {
        TestProbe<JobProtocol.TrainerCommand> trainer = trainers.computeIfAbsent(nodeId, n -> KIT.createTestProbe());
        TestProbe<NodeProtocol.Registered> reply = KIT.createTestProbe();
        NodeProtocol.Register r = new NodeProtocol.Register(profile(nodeId), reply.ref(), trainer.ref());
        registrations.put(nodeId, r);
        listed.add(trainer.ref());
        List<SchedulerEvent> events = esb.runCommand(new Membership.NodeRegistered(r, false, roster())).events();
        assertEquals(nodeId, reply.receiveMessage(WAIT).nodeId());
        return events;
    }

    private void trainerLeaves(String nodeId) {
        listed.remove(trainers.get(nodeId).ref());
        esb.runCommand(new Membership.TrainersChanged(Set.of(nodeId), Set.of(), roster()));
    }

    private void trainerReturns(String nodeId) {
        listed.add(trainers.get(nodeId).ref());
        esb.runCommand(new Membership.TrainersChanged(Set.of(), Set.of(nodeId), roster()));
    }

    private static JobSpec job(String id, int rounds) {
        return JobSpecReader.parseJob(StandIns.jobText(rounds), "test.conf", id);
    }

    /** Answers the PrepareJob each listed node's trainer got, as a trainer with {@code examples} examples. */
    private void prepare(String jobId, String nodeId, int examples) {
        JobProtocol.PrepareJob p = trainers.get(nodeId).expectMessageClass(JobProtocol.PrepareJob.class, WAIT);
        Map<io.fedpipe.core.MatrixId, Double> scores = new TreeMap<>();
        p.probeCandidates().forEach(id -> scores.put(id, StandIns.TOP.contains(id) ? 5.0 : 0.1));
        esb.runCommand(new Scheduler.FromDataPlane(new JobProtocol.JobPrepared(jobId, nodeId, examples, scores, 0.2)));
    }

    /** The OpenRound messages of one round, one per partition, in partition order. */
    private List<JobProtocol.OpenRound> opened(int partitionCount) throws InterruptedException {
        List<JobProtocol.OpenRound> out = new ArrayList<>();
        while (out.size() < partitionCount) {
            ToPartition t = partitions.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertTrue(t != null, "no OpenRound arrived");
            if (t.message() instanceof JobProtocol.OpenRound o) {
                out.add(o);
            }
        }
        out.sort(java.util.Comparator.comparingInt(JobProtocol.OpenRound::partition));
        return out;
    }

    /** Closes partition {@code o} with every planned node at {@code factor(node)} x its planned finish time. */
    private void close(JobProtocol.OpenRound o, Map<String, Double> factors) {
        SchedulerState.JobEntry j = esb.getState().job(o.job().jobId());
        List<JobProtocol.NodeRoundStats> stats = new ArrayList<>();
        for (var p : o.plans()) {
            double planned = j.plan().stream().filter(r -> r.nodeId().equals(p.nodeId())).findFirst().orElseThrow()
                    .plannedFinishSeconds();
            double seconds = factors.getOrDefault(p.nodeId(), 1.0) * planned;
            stats.add(new JobProtocol.NodeRoundStats(p.nodeId(), 4000, 1000, seconds / 2, 0.5, seconds * 1000));
        }
        esb.runCommand(new Scheduler.FromDataPlane(new JobProtocol.RoundClosed(o.job().jobId(), o.partition(),
                o.round(), stats, List.of(), List.of(), System.currentTimeMillis())));
    }

    private void awaitRound(String jobId, int round) {
        TestProbe<Object> waiter = KIT.createTestProbe();
        waiter.awaitAssert(WAIT, () -> {
            SchedulerState.JobEntry j = esb.getState().job(jobId);
            assertEquals(round, j.round(), j.loop().toString());
            assertTrue(j.loop().open() || j.state().over(), j.loop().toString());
            return null;
        });
    }

    @Test
    void aRegistrationIsJournaledOnceAndAnsweredEveryTime() {
        assertInstanceOf(SchedulerEvent.NodeJoined.class, register("edge-a").get(0));
        assertEquals(List.of(), register("edge-a"), "the same profile again changes nothing");
        assertTrue(esb.getState().nodes().get("edge-a").up());
        trainerLeaves("edge-a");
        SchedulerState.NodeEntry left = esb.getState().nodes().get("edge-a");
        assertEquals(false, left.up());
        assertEquals("its trainer left the receptionist listing", left.leftReason());
    }

    @Test
    void aJobIsPreparedPlannedRunAndFinishedEventByEvent() throws Exception {
        register("edge-a");
        register("edge-b");
        var submitted = esb.<GatewayProtocol.Reply>runCommand(r -> new SchedulerProtocol.SubmitJob(job("job-1", 2),
                "test.conf", r));
        assertEquals(new GatewayProtocol.JobAccepted("job-1"), submitted.reply());
        assertEquals(List.of("edge-a", "edge-b"), submitted.eventOfType(SchedulerEvent.JobSubmitted.class).participants());
        assertEquals(RoundLoop.Phase.PREPARING, submitted.state().job("job-1").state());
        prepare("job-1", "edge-a", 600);
        prepare("job-1", "edge-b", 300);
        awaitRound("job-1", 1);
        SchedulerState.JobEntry running = esb.getState().job("job-1");
        assertEquals(new TreeSet<>(StandIns.TOP.stream().map(Object::toString).toList()), new TreeSet<>(running.selected()),
                "the importance budget of 4 picks the stand-ins' top matrices");
        List<JobProtocol.OpenRound> r1 = opened(2);
        assertEquals(1, r1.get(0).round(), "the data plane's round is the job's round");
        for (JobProtocol.OpenRound o : r1) {
            close(o, Map.of());
        }
        awaitRound("job-1", 2);
        for (JobProtocol.OpenRound o : opened(2)) {
            close(o, Map.of());
        }
        TestProbe<Object> waiter = KIT.createTestProbe();
        waiter.awaitAssert(WAIT, () -> {
            assertEquals(RoundLoop.Phase.FINISHED, esb.getState().job("job-1").state());
            return null;
        });
        assertEquals(List.of(1, 2), esb.getState().job("job-1").history().stream().map(SchedulerState.RoundRecord::round)
                .toList());
        SchedulerState.JobEntry done = esb.getState().job("job-1");
        SchedulerState.NodeRecord a1 = done.history().get(0).nodes().get(0);
        assertEquals(done.plan().get(0).steps(), a1.steps(), "a round's record keeps the steps its plan gave the node");
        assertTrue(a1.steps() >= 5, "the job's planner has min-steps = 5");
        trainers.get("edge-a").expectMessageClass(JobProtocol.FinishJob.class, WAIT);
    }

    @Test
    void aRestartRecoversTheJournalAndReissuesTheOpenRoundOnceItsNodesAreBack() throws Exception {
        register("edge-a");
        register("edge-b");
        esb.<GatewayProtocol.Reply>runCommand(r -> new SchedulerProtocol.SubmitJob(job("job-2", 3), "test.conf", r));
        prepare("job-2", "edge-a", 600);
        prepare("job-2", "edge-b", 300);
        awaitRound("job-2", 1);
        opened(2);
        SchedulerState before = esb.getState();
        SchedulerState after = esb.restart().state();
        assertEquals(before, after, "the journal rebuilds the same state");
        // The new incarnation knows no references: nodes register again, then the open round is re-issued.
        registrations.clear();
        register("edge-a");
        register("edge-b");
        List<JobProtocol.OpenRound> again = opened(2);
        assertEquals(1, again.get(0).round());
        TestProbe<Object> waiter = KIT.createTestProbe();
        waiter.awaitAssert(WAIT, () -> {
            assertTrue(esb.getState().job("job-2").interrupted(), "a re-issued round does not count toward slowness");
            return null;
        });
    }

    @Test
    void theSchedulerTakesTheTracesDecisions() throws Exception {
        for (String n : LoopTrace.NODES) {
            register(n);
        }
        String id = "job-trace";
        esb.<GatewayProtocol.Reply>runCommand(r -> new SchedulerProtocol.SubmitJob(job(id, LoopTrace.ROUNDS), "test.conf", r));
        prepare(id, "edge-a", 600);
        prepare(id, "edge-b", 300);
        prepare(id, "edge-c", 300);
        for (int round = 1; round <= LoopTrace.ROUNDS; round++) {
            awaitRound(id, round);
            List<JobProtocol.OpenRound> open = opened(2);
            close(open.get(0), LoopTrace.factors(round));
            if (!LoopTrace.available(round + 1).contains("edge-c") && LoopTrace.available(round).contains("edge-c")) {
                trainerLeaves("edge-c");
            }
            if (LoopTrace.available(round + 1).contains("edge-c") && !LoopTrace.available(round).contains("edge-c")) {
                trainerReturns("edge-c");
                prepare(id, "edge-c", 300);
            }
            close(open.get(1), LoopTrace.factors(round));
        }
        TestProbe<Object> waiter = KIT.createTestProbe();
        waiter.awaitAssert(WAIT, () -> {
            assertEquals(RoundLoop.Phase.FINISHED, esb.getState().job(id).state());
            return null;
        });
        List<String> decisions = new ArrayList<>();
        for (Object e : esb.persistenceTestKit().persistedInStorage(persistenceId)) {
            String d = decision(e, id);
            if (d != null) {
                decisions.add(d);
            }
        }
        assertEquals(LoopTrace.DECISIONS, decisions);
    }

    /** A journaled event of job {@code jobId} as the trace's decision text, or null when it is not a decision. */
    static String decision(Object e, String jobId) {
        if (e instanceof SchedulerEvent.PlanChosen p && p.jobId().equals(jobId)) {
            return "plan 1 " + p.rows().stream().map(SchedulerEvent.PlannedNode::nodeId).sorted().toList();
        } else if (e instanceof SchedulerEvent.PlanChanged p && p.jobId().equals(jobId)) {
            return "plan " + p.beforeRound() + " (" + p.reason() + ") "
                    + p.rows().stream().map(SchedulerEvent.PlannedNode::nodeId).sorted().toList();
        } else if (e instanceof SchedulerEvent.NodeSlowed s && s.jobId().equals(jobId)) {
            return "slowed " + s.nodeId() + " after " + s.round();
        } else if (e instanceof SchedulerEvent.RoundOpened o && o.jobId().equals(jobId)) {
            return "open " + o.round();
        } else if (e instanceof SchedulerEvent.JobFinished f && f.jobId().equals(jobId)) {
            return "finished";
        }
        return null;
    }
}
