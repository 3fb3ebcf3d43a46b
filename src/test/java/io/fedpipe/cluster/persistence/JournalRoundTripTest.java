package io.fedpipe.cluster.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.fedpipe.cluster.WireSamples;
import io.fedpipe.cluster.config.NodeConfig;
import io.fedpipe.cluster.scheduler.SchedulerEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Persisted events go through Jackson JSON into the embedded H2 journal and come back on recovery. */
class JournalRoundTripTest {

    @TempDir
    Path dir;

    /** A minimal journaling actor: appends events, answers with what it holds. */
    static final class Log extends EventSourcedBehavior<Log.Command, SchedulerEvent, List<SchedulerEvent>> {
        sealed interface Command {}

        record Append(SchedulerEvent event, ActorRef<List<SchedulerEvent>> replyTo) implements Command {}

        record Get(ActorRef<List<SchedulerEvent>> replyTo) implements Command {}

        Log() {
            super(PersistenceId.ofUniqueId("journal-test"));
        }

        static Behavior<Command> create() {
            return new Log();
        }

        @Override
        public List<SchedulerEvent> emptyState() {
            return List.of();
        }

        @Override
        public CommandHandler<Command, SchedulerEvent, List<SchedulerEvent>> commandHandler() {
            return newCommandHandlerBuilder().forAnyState()
                    .onCommand(Append.class, (state, c) -> Effect().persist(c.event()).thenReply(c.replyTo(), s -> s))
                    .onCommand(Get.class, (state, c) -> Effect().reply(c.replyTo(), state))
                    .build();
        }

        @Override
        public EventHandler<List<SchedulerEvent>, SchedulerEvent> eventHandler() {
            return newEventHandlerBuilder().forAnyState().onAnyEvent((state, e) -> {
                List<SchedulerEvent> next = new ArrayList<>(state);
                next.add(e);
                return List.copyOf(next);
            });
        }
    }

    private ActorTestKit kit() {
        return ActorTestKit.create("journal", NodeConfig.layered(ConfigFactory.parseString(
                "pekko.actor.provider = local\nfedpipe.node.data-dir = \"" + dir + "\"")));
    }

    @Test
    void eventsAreJsonAndSurviveARestart() throws Exception {
        SchedulerEvent joined = new SchedulerEvent.NodeJoined(WireSamples.profile("edge-a"), Instant.parse("2025-01-02T03:04:05Z"));
        SchedulerEvent left = new SchedulerEvent.NodeLeft("edge-a", "downed by the split brain resolver",
                Instant.parse("2025-01-02T04:00:00Z"));

        ActorTestKit first = kit();
        try {
            Serialization serialization = SerializationExtension.get(first.system());
            Serializer s = serialization.findSerializerFor(joined);
            assertEquals("JacksonJsonSerializer", s.getClass().getSimpleName());
            String json = new String(serialization.serialize(joined).get(), StandardCharsets.UTF_8);
            assertTrue(json.contains("\"nodeId\":\"edge-a\"") && json.contains("\"memoryBytes\":2147483648"), json);

            SchemaUtils.createIfNotExists(first.system()).toCompletableFuture().get(20, TimeUnit.SECONDS);
            TestProbe<List<SchedulerEvent>> probe = first.createTestProbe();
            ActorRef<Log.Command> log = first.spawn(Log.create());
            log.tell(new Log.Append(joined, probe.ref()));
            assertEquals(List.of(joined), probe.receiveMessage(Duration.ofSeconds(20)));
            log.tell(new Log.Append(left, probe.ref()));
            assertEquals(List.of(joined, left), probe.receiveMessage(Duration.ofSeconds(10)));
        } finally {
            first.shutdownTestKit();
        }
        assertTrue(Files.isRegularFile(dir.resolve("journal/fedpipe.mv.db")), "H2 file under the data directory");

        ActorTestKit second = kit();
        try {
            TestProbe<List<SchedulerEvent>> probe = second.createTestProbe();
            second.spawn(Log.create()).tell(new Log.Get(probe.ref()));
            assertEquals(List.of(joined, left), probe.receiveMessage(Duration.ofSeconds(20)));
        } finally {
            second.shutdownTestKit();
        }
    }

    @Test
    void thePostgresScriptFromTheJarSplitsIntoItsStatements() {
        List<String> statements = PostgresSchema.statements();
        assertEquals(7, statements.size());
        assertEquals(4, statements.stream().filter(s -> s.startsWith("CREATE TABLE IF NOT EXISTS")).count());
        assertTrue(statements.get(0).startsWith("CREATE TABLE IF NOT EXISTS public.event_journal("));
    }

    @Test
    void anUnreachableDatabaseFailsLoudly() {
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(java.sql.SQLException.class,
                () -> PostgresSchema.apply("jdbc:postgresql://127.0.0.1:1/fedpipe?connectTimeout=2", "fedpipe", ""));
        assertTrue(e.getMessage().contains("Connection to 127.0.0.1:1 refused"), e.getMessage());
    }
}
