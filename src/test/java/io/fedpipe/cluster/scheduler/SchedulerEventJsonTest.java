package io.fedpipe.cluster.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.fedpipe.cluster.WireSamples;
import io.fedpipe.cluster.config.NodeConfig;
import io.fedpipe.cluster.protocol.JobProtocol.NodeRoundStats;
import io.fedpipe.cluster.scheduler.SchedulerState.JobEntry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every persisted scheduler event and the state snapshot go through Jackson JSON and back
 * unchanged; the state's round metrics and slow-node hysteresis follow from the events.
 */
class SchedulerEventJsonTest {

    @TempDir
    Path dir;

    private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    private static final SchedulerEvent.PlannedNode ROW_A = new SchedulerEvent.PlannedNode("edge-a", "fp32", 16,
            Map.of("q", 8), 20, 4.0, 4.5, 800_000_000L, 2L << 30);
    private static final SchedulerEvent.PlannedNode ROW_B = new SchedulerEvent.PlannedNode("edge-b", "nf4", 8,
            Map.of("q", 4), 10, 4.0, 4.6, 300_000_000L, 1L << 30);

    static List<SchedulerEvent> events() {
        return List.of(
                new SchedulerEvent.NodeJoined(WireSamples.profile("edge-a"), T0),
                new SchedulerEvent.NodeJoined(WireSamples.profile("edge-b"), T0),
                new SchedulerEvent.JobSubmitted(WireSamples.job("job-1"), "wordnet.conf", List.of("edge-a", "edge-b"), T0),
                new SchedulerEvent.NodePrepared("job-1", "edge-a", 600, Map.of("0.q", 0.5, "1.v", 0.25), 1.5, T0),
                new SchedulerEvent.NodeRefused("job-1", "edge-c", "no data directory", T0),
                new SchedulerEvent.NodePrepared("job-1", "edge-b", 300, Map.of(), 0, T0),
                new SchedulerEvent.PlanChosen("job-1", List.of("0.q", "1.q"), 4.6, List.of(ROW_A, ROW_B),
                        List.of(new SchedulerEvent.LeftOut("edge-c", "nothing fits")), T0),
                new SchedulerEvent.RoundOpened("job-1", 1, T0),
                closed(1, 0, 9.0, T0.plusSeconds(10)),
                closed(1, 1, 9.0, T0.plusSeconds(11)),
                new SchedulerEvent.RoundOpened("job-1", 2, T0.plusSeconds(12)),
                closed(2, 0, 10.0, T0.plusSeconds(22)),
                closed(2, 1, 10.0, T0.plusSeconds(23)),
                new SchedulerEvent.NodeSlowed("edge-b", "job-1", 2, 2.5, T0.plusSeconds(23)),
                new SchedulerEvent.NodeLeft("edge-a", "unreachable", T0.plusSeconds(23)),
                new SchedulerEvent.PlanChanged("job-1", 3, "left: edge-a; edge-b ran 2.50x its plan for 2 rounds", 9.0,
                        List.of(ROW_B), List.of(), T0.plusSeconds(23)),
                new SchedulerEvent.RoundOpened("job-1", 3, T0.plusSeconds(24)),
                new SchedulerEvent.RoundResumed("job-1", 3, T0.plusSeconds(26)),
                new SchedulerEvent.JobCancelled("job-1", "cancelled by a user", T0.plusSeconds(30)),
                new SchedulerEvent.JobFinished("job-2", T0),
                new SchedulerEvent.JobScored("job-2", "edge-a", 630, "greedy", Map.of("bleu", 0.01),
                        Map.of("bleu", 0.42, "cider", 0.91), List.of(new SchedulerEvent.Sample("name[The Eagle]",
                                "Syn: a bird", "The Eagle is a pub.", "The Eagle is a pub near the river.")), 12.5,
                        null, T0),
                new SchedulerEvent.JobFailed("job-3", "planning failed: nothing fits", T0),
                new SchedulerEvent.NodeJoined(WireSamples.measuredProfile("edge-m"), T0.plusSeconds(40)));
    }

    /** Partition {@code p} closed {@code round}: edge-a on plan (3 s of 4), edge-b at {@code bSeconds} (plan 4 s). */
    private static SchedulerEvent.PartitionClosed closed(int round, int p, double bSeconds, Instant at) {
        return new SchedulerEvent.PartitionClosed("job-1", round, p, List.of(
                new NodeRoundStats("edge-a", 4000, 1000, 2.5, 0.8 - 0.1 * round, 3000),
                new NodeRoundStats("edge-b", 4000, 500, bSeconds, 0.9 - 0.1 * round, bSeconds * 1000)),
                List.of(), at);
    }

    private static SchedulerState fold(List<SchedulerEvent> events) {
        SchedulerState s = SchedulerState.empty();
        for (SchedulerEvent e : events) {
            s = s.apply(e);
        }
        return s;
    }

    @Test
    void aNodeJoinedJournaledBeforeMeasuredProfilesReadsBackWithoutOne() {
        ActorTestKit kit = ActorTestKit.create("json-old", NodeConfig.layered(ConfigFactory.parseString(
                "pekko.actor.provider = local\nfedpipe.node.data-dir = \"" + dir + "\"")));
        try {
            Serialization serialization = SerializationExtension.get(kit.system());
            SchedulerEvent joined = new SchedulerEvent.NodeJoined(WireSamples.profile("edge-a"), T0);
            Serializer s = serialization.findSerializerFor(joined);
            String json = new String(serialization.serialize(joined).get(), java.nio.charset.StandardCharsets.UTF_8);
            String old = json.replace(",\"measured\":null", "");
            assertTrue(json.contains("\"measured\":null") && !old.contains("measured"), json);
            Object back = serialization.deserialize(old.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    s.identifier(), Serializers.manifestFor(s, joined)).get();
            assertEquals(joined, back);
        } finally {
            kit.shutdownTestKit();
        }
    }

    @Test
    void everyEventAndTheSnapshotRoundTripThroughJackson() {
        ActorTestKit kit = ActorTestKit.create("json", NodeConfig.layered(ConfigFactory.parseString(
                "pekko.actor.provider = local\nfedpipe.node.data-dir = \"" + dir + "\"")));
        try {
            Serialization serialization = SerializationExtension.get(kit.system());
            List<Object> samples = new java.util.ArrayList<>(events());
            samples.add(fold(events()));
            for (Object m : samples) {
                Serializer s = serialization.findSerializerFor(m);
                assertEquals("JacksonJsonSerializer", s.getClass().getSimpleName(), m.getClass().getName());
                byte[] bytes = serialization.serialize(m).get();
                Object back = serialization.deserialize(bytes, s.identifier(), Serializers.manifestFor(s, m)).get();
                assertEquals(m, back, m.getClass().getSimpleName());
            }
            Set<Class<?>> permitted = Arrays.stream(SchedulerEvent.class.getPermittedSubclasses()).collect(Collectors.toSet());
            assertEquals(permitted, events().stream().map(Object::getClass).collect(Collectors.toSet()),
                    "a sample of every event");
        } finally {
            kit.shutdownTestKit();
        }
    }

    /**
     * Journals written before the job was {@code JobSpec} hold it as the flat {@code JobSpec}
     * under version 1 of the manifest; they read back as the same job ({@code JobSpecMigration}).
     */
    @Test
    void jobsJournaledAsTheFlatJobDefinitionStillRead() throws Exception {
        ActorTestKit kit = ActorTestKit.create("json-v1", NodeConfig.layered(ConfigFactory.parseString(
                "pekko.actor.provider = local\nfedpipe.node.data-dir = \"" + dir + "\"")));
        try {
            Serialization serialization = SerializationExtension.get(kit.system());
            ObjectMapper mapper = new ObjectMapper();
            for (Object m : List.of(events().get(2), fold(events()))) {
                Serializer s = serialization.findSerializerFor(m);
                String manifest = Serializers.manifestFor(s, m);
                assertTrue(manifest.endsWith("#2"), manifest);
                JsonNode tree = mapper.readTree(serialization.serialize(m).get());
                tree.findParents("job").forEach(p -> ((ObjectNode) p).set("job", flat((ObjectNode) p.get("job"))));
                assertTrue(mapper.writeValueAsString(tree).contains("\"importanceMatrices\":12"), tree.toString());
                Object back = serialization.deserialize(mapper.writeValueAsBytes(tree), s.identifier(),
                        manifest.substring(0, manifest.length() - 2)).get();
                assertEquals(m, back, m.getClass().getSimpleName());
            }
        } finally {
            kit.shutdownTestKit();
        }
    }

    /** The job as the flat JobSpec record wrote it. */
    private static ObjectNode flat(ObjectNode job) {
        ObjectNode out = job.objectNode();
        for (String f : List.of("jobId", "model")) {
            out.set(f, job.get(f));
        }
        out.setAll((ObjectNode) job.get("data"));
        for (String f : List.of("strategy", "rounds", "targets", "alpha", "lr", "warmup", "maxLength", "seed",
                "partitions", "quorum", "roundTimeoutMs")) {
            out.set(f, job.get(f));
        }
        JsonNode importance = job.get("importance");
        out.put("importanceMatrices", importance.get("matrices").asInt());
        out.put("probeSteps", importance.get("probeSteps").asInt());
        out.put("refreshEvery", importance.get("refreshEvery").asInt());
        for (String f : List.of("formats", "batches", "ranks", "minSteps", "maxSteps")) {
            out.set(f, job.get("planner").get(f));
        }
        return out;
    }

    @Test
    void closedRoundsBecomeMetricsAndTwoSlowRoundsAStreak() {
        SchedulerState afterTwo = fold(events().subList(0, 13));
        JobEntry j = afterTwo.job("job-1");
        assertEquals(2, j.history().size());
        SchedulerState.RoundRecord r2 = j.history().get(1);
        assertEquals(11.0, r2.roundSeconds(), 1e-9, "opened at +12 s, last partition closed at +23 s");
        assertEquals(List.of(), r2.failures());
        SchedulerState.NodeRecord b = r2.nodes().get(1);
        assertEquals("edge-b", b.nodeId());
        assertEquals(List.of(10.0, 10.0, 4.0), List.of(b.trainSeconds(), b.computeSeconds(), b.plannedSeconds()));
        assertEquals(1000, b.bytesUp(), "2 partitions x 500");
        assertEquals(0.7, b.loss(), 1e-12);
        // edge-b took 9 s then 10 s against a planned finish of 4.6 s (> 1.5x twice); edge-a 3 s of 4.5 s.
        assertEquals(Map.of("edge-b", 2), j.slowStreak());
        assertEquals(10 / 4.6, j.lastFactor().get("edge-b"), 1e-12);

        SchedulerState end = fold(events());
        assertEquals(2.5, end.nodes().get("edge-b").slowdown(), 1e-12);
        assertEquals(false, end.nodes().get("edge-a").up());
        JobEntry cancelled = end.job("job-1");
        assertEquals(io.fedpipe.round.RoundLoop.Phase.CANCELLED, cancelled.state());
        assertEquals(3, cancelled.round());
        assertEquals(List.of("edge-b"), cancelled.plannedNodes());
        assertEquals(Set.of("edge-b"), cancelled.prepared().keySet(), "edge-a left: it must prepare again");
        assertEquals(1, cancelled.planChanges().size());
        assertEquals(Map.of(), cancelled.slowStreak());
        assertTrue(cancelled.interrupted(), "round 3 was re-issued after a fail-over");
    }

    /**
     * Slowness hysteresis: a round that closed with a failure (it waited for its deadline) or that a
     * recovered scheduler re-issued (its time includes the fail-over) neither extends nor resets a streak.
     */
    @Test
    void roundsWithFailuresOrInterruptedByAFailOverDoNotCountTowardSlowness() {
        List<SchedulerEvent> events = new java.util.ArrayList<>(events().subList(0, 8)); // round 1 open
        events.add(closed(1, 0, 9.0, T0.plusSeconds(10)));
        events.add(closed(1, 1, 9.0, T0.plusSeconds(11)));
        assertEquals(Map.of("edge-b", 1), fold(events).job("job-1").slowStreak(), "9 s against 4.6 s: slow");
        // Round 2 closes at its deadline with edge-c's failure; edge-b's 20 s include the wait.
        events.add(new SchedulerEvent.RoundOpened("job-1", 2, T0.plusSeconds(12)));
        events.add(withFailure(closed(2, 0, 20.0, T0.plusSeconds(72))));
        events.add(closed(2, 1, 20.0, T0.plusSeconds(72)));
        SchedulerState afterFailure = fold(events);
        assertEquals(Map.of("edge-b", 1), afterFailure.job("job-1").slowStreak());
        assertEquals(List.of("edge-c: no delta within the round's deadline"),
                afterFailure.job("job-1").history().get(1).failures());
        // Round 3 re-issued after a fail-over: 1040 s (260x) is the fail-over, not edge-b.
        events.add(new SchedulerEvent.RoundOpened("job-1", 3, T0.plusSeconds(80)));
        events.add(new SchedulerEvent.RoundResumed("job-1", 3, T0.plusSeconds(100)));
        events.add(closed(3, 0, 1040.0, T0.plusSeconds(1120)));
        events.add(closed(3, 1, 1040.0, T0.plusSeconds(1120)));
        JobEntry interrupted = fold(events).job("job-1");
        assertEquals(Map.of("edge-b", 1), interrupted.slowStreak());
        assertEquals(9 / 4.6, interrupted.lastFactor().get("edge-b"), 1e-12, "still round 1's 9 s / 4.6 s");
        // Round 4, clean and slow again: the streak reaches 2 with round 4's factor.
        events.add(new SchedulerEvent.RoundOpened("job-1", 4, T0.plusSeconds(1130)));
        events.add(closed(4, 0, 10.0, T0.plusSeconds(1140)));
        events.add(closed(4, 1, 10.0, T0.plusSeconds(1141)));
        JobEntry slow = fold(events).job("job-1");
        assertFalse(slow.interrupted(), "a new round clears the flag");
        assertEquals(Map.of("edge-b", 2), slow.slowStreak());
        assertEquals(10 / 4.6, slow.lastFactor().get("edge-b"), 1e-12);
    }

    private static SchedulerEvent.PartitionClosed withFailure(SchedulerEvent.PartitionClosed c) {
        return new SchedulerEvent.PartitionClosed(c.jobId(), c.round(), c.partition(), c.nodes(),
                List.of("edge-c: no delta within the round's deadline"), c.closedAt());
    }

}
