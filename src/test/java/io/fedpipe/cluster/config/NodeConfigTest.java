package io.fedpipe.cluster.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.Map;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged configuration, split by concern (reference.conf for fedpipe.*, application.conf
 * including cluster, serialization, persistence and management), resolves with a node overlay to
 * the settings a node relies on. The values are the ones of the single file it replaced.
 */
class NodeConfigTest {

    private static Config config;

    @BeforeAll
    static void load() {
        config = NodeConfig.load(Path.of("cluster-configs", "node-1.conf"));
    }

    @Test
    void theOverlayWinsAndDefaultsFollowIt() {
        assertEquals("node-1", config.getString("fedpipe.node.name"));
        assertEquals(25521, config.getInt("pekko.remote.artery.canonical.port"));
        assertEquals("127.0.0.1", config.getString("pekko.remote.artery.canonical.hostname"));
        // Resolved after the overlay: the journal lives in the overlay's data directory.
        assertEquals("data/node-1/journal/fedpipe", config.getString("fedpipe.persistence.h2-file"));
        assertEquals("jdbc:h2:file:data/node-1/journal/fedpipe;AUTO_SERVER=TRUE;DATABASE_TO_UPPER=FALSE",
                config.getString("pekko-persistence-jdbc.shared-databases.fedpipe.db.url"));
    }

    @Test
    void serializersAreBoundToTheMarkers() {
        assertEquals("off", config.getString("pekko.actor.allow-java-serialization"));
        assertEquals("io.fedpipe.cluster.wire.KryoWireSerializer", config.getString("pekko.actor.serializers.fedpipe-kryo"));
        Config bindings = config.getConfig("pekko.actor.serialization-bindings");
        assertEquals("fedpipe-kryo", bindings.getString("\"io.fedpipe.cluster.protocol.WireMessage\""));
        assertEquals("jackson-json", bindings.getString("\"io.fedpipe.cluster.protocol.PersistedJson\""));
        assertEquals(false, bindings.root().keySet().stream().anyMatch(k -> k.contains("JobSpec")),
                "the job travels and is persisted only inside other classes");
        assertEquals("io.fedpipe.cluster.persistence.AggregatorStateMigration", config.getConfig(
                "pekko.serialization.jackson.migrations").getString("\"io.fedpipe.cluster.aggregator.AggregatorState\""));
        assertEquals("io.fedpipe.cluster.node.WireClasses", config.getString("fedpipe.wire.registry"));
    }

    @Test
    void adapterSlicesTakeTheLargeMessageLane() {
        assertEquals("cluster", config.getString("pekko.actor.provider"));
        assertEquals(List.of("/system/fedpipe-trainer", "/system/sharding/fedpipe-aggregator/**",
                "/system/receptionist/**", "/temp/**"),
                config.getStringList("pekko.remote.artery.large-message-destinations"));
        assertEquals(32L << 20, config.getBytes("pekko.remote.artery.advanced.maximum-large-frame-size"));
        assertEquals(31L << 20, config.getBytes("fedpipe.wire.max-message-bytes"));
        assertEquals(List.of("io.fedpipe.cluster.wire.WireBytes"),
                config.getStringList("pekko.remote.artery.advanced.instruments"));
        assertEquals("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider",
                config.getString("pekko.cluster.downing-provider-class"));
    }

    @Test
    void theTrainerDispatcherHasOneThread() {
        Config d = config.getConfig("fedpipe.trainer-dispatcher");
        assertEquals("Dispatcher", d.getString("type"));
        assertEquals("thread-pool-executor", d.getString("executor"));
        assertEquals(1, d.getInt("thread-pool-executor.fixed-pool-size"));
        assertEquals(1, d.getInt("throughput"));
    }

    @Test
    void managementServesOurRoutesAndChecks() {
        assertEquals("127.0.0.1", config.getString("pekko.management.http.hostname"));
        assertEquals(8558, config.getInt("pekko.management.http.port"));
        assertTrue(config.getBoolean("pekko.management.http.route-providers-read-only"));
        assertEquals("io.fedpipe.cluster.management.FedPipeRoutes",
                config.getString("pekko.management.http.routes.fedpipe"));
        Config checks = config.getConfig("pekko.management.health-checks.readiness-checks");
        assertEquals("", checks.getString("cluster-membership"));
        assertEquals("io.fedpipe.cluster.node.MemberUpCheck", checks.getString("fedpipe-member-up"));
        assertEquals("io.fedpipe.cluster.scheduler.SchedulerRecoveredCheck",
                checks.getString("fedpipe-scheduler-recovered"));
    }

    @Test
    void persistenceUsesTheSharedSmallJdbcPool() {
        assertEquals("jdbc-journal", config.getString("pekko.persistence.journal.plugin"));
        assertEquals("jdbc-snapshot-store", config.getString("pekko.persistence.snapshot-store.plugin"));
        assertEquals("jdbc-durable-state-store", config.getString("pekko.persistence.state.plugin"));
        for (String plugin : List.of("jdbc-journal", "jdbc-snapshot-store", "jdbc-read-journal",
                "jdbc-durable-state-store")) {
            assertEquals("fedpipe", config.getString(plugin + ".use-shared-db"), plugin);
        }
        assertEquals(2, config.getInt("pekko-persistence-jdbc.shared-databases.fedpipe.db.maxConnections"));
        assertEquals("org.h2.Driver", config.getString("pekko-persistence-jdbc.shared-databases.fedpipe.db.driver"));
    }

    @Test
    void everyFedPipeDefaultSaysWhatItIs() {
        // Without the environment every ${?ENV} fallback is absent, so each value comes from its
        // first definition, the line the comment belongs to.
        Config reference = ConfigFactory.parseResources("reference.conf")
                .resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
        List<String> uncommented = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> e : reference.getConfig("fedpipe").entrySet()) {
            if (e.getValue().origin().comments().isEmpty()) {
                uncommented.add("fedpipe." + e.getKey());
            }
        }
        assertEquals(List.of(), uncommented, "reference.conf keys without a comment");
    }
}
