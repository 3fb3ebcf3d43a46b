package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.protocol.SchedulerProtocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.cluster.protocol.GatewayProtocol.JobState;
import io.fedpipe.job.JobSpecReader;
import io.fedpipe.cluster.node.ControlPlane;
import io.fedpipe.cluster.persistence.PostgresSchema;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.protocol.JobProtocol.OpenRound;
import io.fedpipe.round.NodeRoundPlan;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduler singleton on a real journal with stand-in trainers and aggregator partitions
 * ({@link StandIns}): a job runs to FinishJob with the planned matrices in OpenRound, a node that
 * leaves between rounds is planned out (PlanChanged), and a restart on the same journal recovers
 * nodes, jobs and the open round and re-issues its OpenRound (H2, and PostgreSQL when reachable).
 */
class SchedulerTest {

    @TempDir
    Path dir;

    private static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test";

    private static ActorRef<SchedulerProtocol.Command> scheduler(ActorTestKit kit) {
        return ControlPlane.get(kit.system()).scheduler().orElseThrow();
    }

    private static void awaitNodes(ActorTestKit kit, int withTrainer) {
        TestProbe<SchedulerProtocol.NodeList> p = kit.createTestProbe();
        p.awaitAssert(StandIns.WAIT, () -> {
            scheduler(kit).tell(new SchedulerProtocol.GetNodes(p.ref()));
            SchedulerProtocol.NodeList nodes = p.receiveMessage(java.time.Duration.ofSeconds(3));
            assertEquals(withTrainer, nodes.nodes().stream().filter(n -> n.up() && n.trainer()).count(), nodes.toString());
            return null;
        });
    }

    private static String submit(ActorTestKit kit, int rounds) {
        TestProbe<GatewayProtocol.Reply> reply = kit.createTestProbe();
        String id = "job-" + UUID.randomUUID().toString().substring(0, 8);
        scheduler(kit).tell(new SchedulerProtocol.SubmitJob(JobSpecReader.parseJob(StandIns.jobText(rounds), "test.conf", id), "test.conf",
                reply.ref()));
        assertEquals(new GatewayProtocol.JobAccepted(id), reply.receiveMessage(StandIns.WAIT));
        return id;
    }

    private static GatewayProtocol.JobStatus status(ActorTestKit kit, String id) {
        TestProbe<GatewayProtocol.Reply> reply = kit.createTestProbe();
        scheduler(kit).tell(new SchedulerProtocol.GetJob(id, reply.ref()));
        return assertInstanceOf(GatewayProtocol.JobStatus.class, reply.receiveMessage(StandIns.WAIT));
    }

    /** Both partitions' OpenRound for {@code round}, by partition. */
    private static List<OpenRound> opened(TestProbe<JobProtocol.AggregatorCommand> agg, int round) {
        List<OpenRound> out = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            out.add(assertInstanceOf(OpenRound.class, agg.receiveMessage(StandIns.WAIT)));
        }
        out.sort(java.util.Comparator.comparingInt(OpenRound::partition));
        assertEquals(List.of(0, 1), out.stream().map(OpenRound::partition).toList());
        // The data plane's round is the job's round: the control plane's round n is OpenRound's round n.
        out.forEach(o -> assertEquals(round, o.round()));
        return out;
    }

    private static Set<String> nodesOf(OpenRound o) {
        return o.plans().stream().map(NodeRoundPlan::nodeId).collect(Collectors.toCollection(TreeSet::new));
    }

    private static void closeAll(List<OpenRound> rounds, double seconds, double loss) {
        rounds.forEach(o -> o.replyTo().tell(StandIns.closed(o, seconds, loss)));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static TestProbe<JobProtocol.AggregatorCommand>[] slot() {
        return new TestProbe[1];
    }

    @Test
    void aTwoRoundJobRunsToFinishWithThePlanInOpenRound() throws Exception {
        var agg = slot();
        ActorTestKit kit = StandIns.node(StandIns.config(dir, "sched-" + UUID.randomUUID(), ConfigFactory.empty()), true, agg);
        try {
            TestProbe<Object> inboxA = kit.createTestProbe();
            TestProbe<Object> inboxB = kit.createTestProbe();
            kit.spawn(StandIns.trainer(StandIns.profile("edge-a", 1.0), 600, inboxA.ref()));
            kit.spawn(StandIns.trainer(StandIns.profile("edge-b", 0.5), 300, inboxB.ref()));
            awaitNodes(kit, 2);
            String id = submit(kit, 2);

            JobProtocol.PrepareJob pa = inboxA.expectMessageClass(JobProtocol.PrepareJob.class, StandIns.WAIT);
            JobProtocol.PrepareJob pb = inboxB.expectMessageClass(JobProtocol.PrepareJob.class, StandIns.WAIT);
            assertEquals(List.of(0, 1, 2, 2), List.of(pa.shard(), pb.shard(), pa.shards(), pb.shards()));
            assertEquals(24, pa.probeCandidates().size(), "6 layers x q,k,v,o");

            List<OpenRound> r1 = opened(agg[0], 1);
            for (OpenRound o : r1) {
                assertEquals(Set.of("edge-a", "edge-b"), nodesOf(o));
                assertEquals(Set.of("edge-a", "edge-b"), o.trainers().keySet());
                for (NodeRoundPlan p : o.plans()) {
                    assertEquals(StandIns.TOP, p.ranks().keySet(), "the 4 matrices both nodes scored highest");
                    assertTrue(p.steps() >= 5 && p.steps() <= 40, "steps within the job's bounds: " + p);
                }
            }
            GatewayProtocol.JobStatus running = status(kit, id);
            assertEquals(JobState.RUNNING, running.state());
            assertEquals(1, running.round());
            assertEquals(2, running.plan().size());

            closeAll(r1, 0.01, 0.9);
            closeAll(opened(agg[0], 2), 0.01, 0.7);
            Set<Integer> finished = new TreeSet<>();
            for (int i = 0; i < 2; i++) {
                JobProtocol.FinishJob f = assertInstanceOf(JobProtocol.FinishJob.class, agg[0].receiveMessage(StandIns.WAIT));
                assertEquals(id, f.jobId());
                finished.add(i);
            }
            assertEquals(2, finished.size());
            assertEquals(id, inboxA.expectMessageClass(JobProtocol.FinishJob.class, StandIns.WAIT).jobId());

            GatewayProtocol.JobStatus done = status(kit, id);
            assertEquals(JobState.FINISHED, done.state());
            assertEquals(2, done.history().size());
            GatewayProtocol.NodeMetrics a2 = done.history().get(1).nodes().get(0);
            assertEquals("edge-a", a2.nodeId());
            assertEquals(0.7, a2.loss(), 1e-12);
            assertEquals(2 * 1000, a2.bytesUp(), "summed over the two partitions");
            assertEquals(2 * 4000, a2.bytesDown());
            assertEquals(0, done.planChanges().size());
        } finally {
            kit.shutdownTestKit();
        }
    }

    /** The job and the OpenRound messages of round 2, planned without edge-c. */
    private record EdgeCLeft(String jobId, List<OpenRound> round2) {}

    /**
     * Trainers edge-a, edge-b (compute scale 1) and edge-c ({@code scaleC}) register, a job of
     * {@code rounds} rounds opens round 1 on all three, edge-c stops, round 1 closes and round 2
     * opens on edge-a and edge-b only.
     */
    private static EdgeCLeft edgeCLeavesAfterRoundOne(ActorTestKit kit, TestProbe<JobProtocol.AggregatorCommand>[] agg,
            double scaleC, int rounds) {
        TestProbe<Object> inbox = kit.createTestProbe();
        kit.spawn(StandIns.trainer(StandIns.profile("edge-a", 1.0), 500, inbox.ref()));
        kit.spawn(StandIns.trainer(StandIns.profile("edge-b", 1.0), 500, inbox.ref()));
        ActorRef<Object> c = kit.spawn(StandIns.trainer(StandIns.profile("edge-c", scaleC), 500, inbox.ref()));
        awaitNodes(kit, 3);
        String id = submit(kit, rounds);
        List<OpenRound> r1 = opened(agg[0], 1);
        assertEquals(Set.of("edge-a", "edge-b", "edge-c"), nodesOf(r1.get(0)));

        kit.stop(c);
        awaitNodes(kit, 2);
        closeAll(r1, 0.01, 0.8);
        List<OpenRound> r2 = opened(agg[0], 2);
        assertEquals(Set.of("edge-a", "edge-b"), nodesOf(r2.get(0)));
        return new EdgeCLeft(id, r2);
    }

    @Test
    void aNodeLeavingBetweenRoundsIsPlannedOutAndTheJobFinishes() throws Exception {
        var agg = slot();
        ActorTestKit kit = StandIns.node(StandIns.config(dir, "sched-" + UUID.randomUUID(), ConfigFactory.empty()), true, agg);
        try {
            EdgeCLeft left = edgeCLeavesAfterRoundOne(kit, agg, 0.25, 2);
            String id = left.jobId();
            List<OpenRound> r2 = left.round2();
            assertEquals(Set.of("edge-a", "edge-b"), r2.get(1).trainers().keySet());

            GatewayProtocol.JobStatus s = status(kit, id);
            assertEquals(1, s.planChanges().size());
            assertEquals(2, s.planChanges().get(0).beforeRound());
            assertEquals("left: edge-c", s.planChanges().get(0).reason());
            assertEquals(List.of("edge-a", "edge-b"), s.planChanges().get(0).nodes());

            closeAll(r2, 0.01, 0.6);
            agg[0].expectMessageClass(JobProtocol.FinishJob.class, StandIns.WAIT);
            assertEquals(JobState.FINISHED, status(kit, id).state());
        } finally {
            kit.shutdownTestKit();
        }
    }

    @Test
    void aNodeThatReturnsIsPreparedAgainWithItsShardAndPlannedBackIn() throws Exception {
        var agg = slot();
        ActorTestKit kit = StandIns.node(StandIns.config(dir, "sched-" + UUID.randomUUID(), ConfigFactory.empty()), true, agg);
        try {
            EdgeCLeft left = edgeCLeavesAfterRoundOne(kit, agg, 0.5, 3);
            String id = left.jobId();
            List<OpenRound> r2 = left.round2();

            // edge-c comes back: a new trainer (new incarnation), same node name and profile.
            TestProbe<Object> inboxC = kit.createTestProbe();
            ActorRef<Object> c2 = kit.spawn(StandIns.trainer(StandIns.profile("edge-c", 0.5), 500, inboxC.ref()));
            JobProtocol.PrepareJob again = inboxC.expectMessageClass(JobProtocol.PrepareJob.class, StandIns.WAIT);
            assertEquals(List.of(2, 3), List.of(again.shard(), again.shards()), "its own shard: participants are a, b, c");
            assertEquals(List.of(), again.probeCandidates(), "the matrices are chosen: no probe for a running job");
            GatewayProtocol.JobStatus waiting = status(kit, id);
            assertEquals(List.of("edge-a", "edge-b"), waiting.plan().stream().map(GatewayProtocol.PlanRow::nodeId).toList(),
                    "the open round 2 keeps its plan");

            closeAll(r2, 0.01, 0.7);
            List<OpenRound> r3 = opened(agg[0], 3);
            assertEquals(Set.of("edge-a", "edge-b", "edge-c"), nodesOf(r3.get(0)));
            assertEquals(c2.path(), r3.get(1).trainers().get("edge-c").path(), "slices go to the new trainer");
            GatewayProtocol.JobStatus s = status(kit, id);
            assertEquals(List.of("left: edge-c", "returned: edge-c"),
                    s.planChanges().stream().map(GatewayProtocol.PlanChange::reason).toList());
            assertEquals(List.of(2, 3), s.planChanges().stream().map(GatewayProtocol.PlanChange::beforeRound).toList());
            assertEquals(List.of("edge-a", "edge-b", "edge-c"), s.planChanges().get(1).nodes());

            closeAll(r3, 0.01, 0.6);
            agg[0].expectMessageClass(JobProtocol.FinishJob.class, StandIns.WAIT);
            assertEquals(id, inboxC.expectMessageClass(JobProtocol.FinishJob.class, StandIns.WAIT).jobId());
            assertEquals(JobState.FINISHED, status(kit, id).state());
        } finally {
            kit.shutdownTestKit();
        }
    }

    /** A partition that lost its open round (its entity moved) gets the round again once it is overdue. */
    @Test
    void anOverdueRoundIsReissuedToThePartitionsThatDidNotClose() throws Exception {
        var agg = slot();
        ActorTestKit kit = StandIns.node(StandIns.config(dir, "sched-" + UUID.randomUUID(), ConfigFactory.empty()), true, agg);
        try {
            TestProbe<Object> inbox = kit.createTestProbe();
            kit.spawn(StandIns.trainer(StandIns.profile("edge-a", 1.0), 500, inbox.ref()));
            awaitNodes(kit, 1);
            TestProbe<GatewayProtocol.Reply> reply = kit.createTestProbe();
            String id = "job-" + UUID.randomUUID().toString().substring(0, 8);
            String text = StandIns.jobText(2).replace("round-timeout = 60s", "round-timeout = 1s");
            scheduler(kit).tell(new SchedulerProtocol.SubmitJob(JobSpecReader.parseJob(text, "test.conf", id), "test.conf", reply.ref()));
            assertEquals(new GatewayProtocol.JobAccepted(id), reply.receiveMessage(StandIns.WAIT));
            List<OpenRound> r1 = opened(agg[0], 1);
            long closedAt = System.nanoTime();
            r1.get(0).replyTo().tell(StandIns.closed(r1.get(0), 0.01, 0.9)); // partition 1 never answers
            OpenRound again = assertInstanceOf(OpenRound.class, agg[0].receiveMessage(StandIns.WAIT));
            double after = (System.nanoTime() - closedAt) / 1e9;
            assertEquals(List.of(1, 1), List.of(again.partition(), again.round()), "only partition 1, round 1 again");
            assertTrue(after >= 5.0 && after < 12, "overdue after 1 s + 5 s margin (from opening), was " + after);
            assertEquals(r1.get(1).plans(), again.plans());
            again.replyTo().tell(StandIns.closed(again, 0.01, 0.9));
            assertEquals(List.of(2, 2), opened(agg[0], 2).stream().map(o -> o.round()).toList());
            assertEquals(1, status(kit, id).history().size());
        } finally {
            kit.shutdownTestKit();
        }
    }

    /**
     * A node that died with the previous scheduler produces no cluster event for the recovered one: the
     * journal still says it is up and prepared. After the recovery grace it has left, the open round is
     * re-issued without it, the next round is planned without it, and when it comes back it prepares
     * again and is planned back in.
     */
    @Test
    void aRecoveredSchedulerMarksNodesThatDidNotComeBackAsLeftAndPlansThemInWhenTheyReturn() throws Exception {
        Config config = StandIns.config(dir, "sched-" + UUID.randomUUID(), ConfigFactory.empty());
        var agg = slot();
        ActorTestKit first = StandIns.node(config, true, agg);
        String id;
        try {
            TestProbe<Object> inbox = first.createTestProbe();
            first.spawn(StandIns.trainer(StandIns.profile("edge-a", 1.0), 500, inbox.ref()));
            first.spawn(StandIns.trainer(StandIns.profile("edge-b", 1.0), 500, inbox.ref()));
            awaitNodes(first, 2);
            id = submit(first, 4);
            closeAll(opened(agg[0], 1), 0.01, 0.9);
            opened(agg[0], 2);
        } finally {
            first.shutdownTestKit();
        }

        ActorTestKit second = StandIns.node(config, true, agg);
        try {
            TestProbe<Object> inboxA = second.createTestProbe();
            second.spawn(StandIns.trainer(StandIns.profile("edge-a", 1.0), 500, inboxA.ref()));
            // Only edge-a is back: round 2 is re-issued with it alone once the 5 s grace is over.
            List<OpenRound> r2 = opened(agg[0], 2);
            assertEquals(Set.of("edge-a"), nodesOf(r2.get(0)));
            assertEquals(0, inboxA.expectMessageClass(JobProtocol.PrepareJob.class, StandIns.WAIT).shard(),
                    "edge-a is asked whether its trainer still has the job");
            TestProbe<SchedulerProtocol.NodeList> nodes = second.createTestProbe();
            scheduler(second).tell(new SchedulerProtocol.GetNodes(nodes.ref()));
            SchedulerProtocol.NodeView b = nodes.receiveMessage(StandIns.WAIT).nodes().stream()
                    .filter(n -> n.profile().nodeId().equals("edge-b")).findFirst().orElseThrow();
            assertEquals(false, b.up());
            assertEquals("did not register within 5 s of the scheduler's recovery", b.leftReason());

            closeAll(r2, 0.01, 0.8);
            List<OpenRound> r3 = opened(agg[0], 3);
            assertEquals(Set.of("edge-a"), nodesOf(r3.get(0)));

            TestProbe<Object> inboxB = second.createTestProbe();
            second.spawn(StandIns.trainer(StandIns.profile("edge-b", 1.0), 500, inboxB.ref()));
            assertEquals(1, inboxB.expectMessageClass(JobProtocol.PrepareJob.class, StandIns.WAIT).shard());
            closeAll(r3, 0.01, 0.7);
            List<OpenRound> r4 = opened(agg[0], 4);
            assertEquals(Set.of("edge-a", "edge-b"), nodesOf(r4.get(0)));
            closeAll(r4, 0.01, 0.6);
            agg[0].expectMessageClass(JobProtocol.FinishJob.class, StandIns.WAIT);
            GatewayProtocol.JobStatus done = status(second, id);
            assertEquals(JobState.FINISHED, done.state());
            assertEquals(List.of("left: edge-b", "returned: edge-b"),
                    done.planChanges().stream().map(GatewayProtocol.PlanChange::reason).toList());
            assertEquals(List.of(3, 4), done.planChanges().stream().map(GatewayProtocol.PlanChange::beforeRound).toList());
            assertEquals(List.of(1, 2, 3, 4), done.history().stream().map(GatewayProtocol.RoundMetrics::round).toList());
        } finally {
            second.shutdownTestKit();
        }
    }

    @Test
    void aRestartOnTheH2JournalRecoversAndReissuesTheOpenRound() throws Exception {
        restartRecovers(ConfigFactory.empty(), true, "sched-" + UUID.randomUUID());
    }

    @Test
    void aRestartOnThePostgresJournalRecoversAndReissuesTheOpenRound() throws Exception {
        String user = "postgres";
        try {
            PostgresSchema.apply(PG_URL + "?connectTimeout=3", user, "");
        } catch (SQLException e) {
            Assumptions.abort("PostgreSQL at " + PG_URL + " (user " + user + ") is not reachable: " + e.getMessage());
        }
        Config pg = ConfigFactory.parseString(String.join("\n",
                "fedpipe.persistence.create-h2-schema = off",
                "pekko-persistence-jdbc.shared-databases.fedpipe.profile = \"slick.jdbc.PostgresProfile$\"",
                "pekko-persistence-jdbc.shared-databases.fedpipe.db.url = \"" + PG_URL + "\"",
                "pekko-persistence-jdbc.shared-databases.fedpipe.db.user = " + user,
                "pekko-persistence-jdbc.shared-databases.fedpipe.db.driver = \"org.postgresql.Driver\""));
        restartRecovers(pg, false, "sched-pg-" + UUID.randomUUID());
    }

    private void restartRecovers(Config journal, boolean h2, String persistenceId) throws Exception {
        Config config = StandIns.config(dir, persistenceId, journal);
        var agg = slot();
        ActorTestKit first = StandIns.node(config, h2, agg);
        String id;
        List<OpenRound> r2;
        try {
            TestProbe<Object> inbox = first.createTestProbe();
            first.spawn(StandIns.trainer(StandIns.profile("edge-a", 1.0), 500, inbox.ref()));
            first.spawn(StandIns.trainer(StandIns.profile("edge-b", 0.5), 400, inbox.ref()));
            awaitNodes(first, 2);
            id = submit(first, 3);
            closeAll(opened(agg[0], 1), 0.01, 0.9);
            r2 = opened(agg[0], 2);
        } finally {
            first.shutdownTestKit();
        }

        ActorTestKit second = StandIns.node(config, h2, agg);
        try {
            GatewayProtocol.JobStatus recovered = status(second, id);
            assertEquals(JobState.RUNNING, recovered.state());
            assertEquals(2, recovered.round());
            assertEquals(1, recovered.history().size());
            assertEquals(0.9, recovered.history().get(0).nodes().get(0).loss(), 1e-12);
            TestProbe<SchedulerProtocol.NodeList> nodes = second.createTestProbe();
            scheduler(second).tell(new SchedulerProtocol.GetNodes(nodes.ref()));
            assertEquals(List.of("edge-a", "edge-b"), nodes.receiveMessage(StandIns.WAIT).nodes().stream()
                    .map(n -> n.profile().nodeId()).toList(), "nodes recovered from the journal");

            TestProbe<Object> inbox = second.createTestProbe();
            second.spawn(StandIns.trainer(StandIns.profile("edge-a", 1.0), 500, inbox.ref()));
            second.spawn(StandIns.trainer(StandIns.profile("edge-b", 0.5), 400, inbox.ref()));
            List<OpenRound> again = opened(agg[0], 2);
            assertEquals(r2.get(0).plans(), again.get(0).plans(), "the same round 2 plan, re-issued");
            assertEquals(Set.of("edge-a", "edge-b"), again.get(1).trainers().keySet());
            closeAll(again, 0.01, 0.8);
            closeAll(opened(agg[0], 3), 0.01, 0.7);
            agg[0].expectMessageClass(JobProtocol.FinishJob.class, StandIns.WAIT);
            GatewayProtocol.JobStatus done = status(second, id);
            assertEquals(JobState.FINISHED, done.state());
            assertEquals(List.of(1, 2, 3), done.history().stream().map(GatewayProtocol.RoundMetrics::round).toList());
        } finally {
            second.shutdownTestKit();
        }
    }
}
