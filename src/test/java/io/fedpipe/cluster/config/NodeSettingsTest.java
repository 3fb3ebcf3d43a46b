package io.fedpipe.cluster.config;

import io.fedpipe.cluster.protocol.NodeRole;
import io.fedpipe.core.NodeResources;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeSettingsTest {

    @TempDir
    Path dir;

    private Config config(String overlay) {
        return NodeConfig.layered(ConfigFactory.parseString(
                "fedpipe.node.data-dir = \"" + dir + "\"\n" + overlay));
    }

    private String error(String overlay) {
        return assertThrows(IllegalArgumentException.class, () -> NodeSettings.fromConfig(config(overlay))).getMessage();
    }

    @Test
    void theNodeOverlaysAreValid() {
        Config c = NodeConfig.load(Path.of("cluster-configs/node-2.conf"));
        Config withDir = ConfigFactory.parseString("fedpipe.node.data-dir = \"" + dir + "\"").withFallback(c);
        NodeSettings s = NodeSettings.fromConfig(withDir);
        assertEquals("node-2", s.name());
        assertEquals(25522, s.port());
        assertEquals(8559, s.managementPort());
        assertEquals("127.0.0.1", s.managementHost());
        assertEquals(List.of(new SeedNode("127.0.0.1", 25521), new SeedNode("127.0.0.1", 25522)), s.seedNodes());
        assertEquals(EnumSet.of(NodeRole.AGGREGATOR, NodeRole.EDGE), s.roles());
        assertEquals(new NodeResources(1L << 30, 50, 100, 0.5, 1), s.resources());
        assertEquals(List.of("edge", "aggregator"), s.systemConfig(withDir).getStringList("pekko.cluster.roles"));
        assertEquals("pekko://fedpipe@127.0.0.1:25521", s.seedNodes().get(0).address(s.clusterName()).toString());
    }

    @Test
    void theH2FileFollowsTheOverlaysDataDirectory() {
        Config c = config("");
        assertEquals("jdbc:h2:file:" + dir + "/journal/fedpipe;AUTO_SERVER=TRUE;DATABASE_TO_UPPER=FALSE",
                c.getString(NodeSettings.JDBC_URL));
        assertEquals(true, NodeSettings.fromConfig(c).createH2Schema());
    }

    @Test
    void aRelativeH2FileBecomesAbsolute() {
        NodeSettings s = NodeSettings.fromConfig(config("fedpipe.persistence.h2-file = \"data/j/fedpipe\""));
        String expected = "jdbc:h2:file:" + Path.of("data/j/fedpipe").toAbsolutePath() + ";AUTO_SERVER=TRUE;DATABASE_TO_UPPER=FALSE";
        assertEquals(expected, s.journalUrl());
        assertEquals(expected, s.systemConfig(config("")).getString(NodeSettings.JDBC_URL));
    }

    @Test
    void rolesAndSeedsMayBeCommaSeparatedStringsAsFromTheEnvironment() {
        NodeSettings s = NodeSettings.fromConfig(config(
                "fedpipe.node.roles = \"edge, gateway\"\nfedpipe.node.seed-nodes = \"10.0.0.1:25520,[::1]:25521\""));
        assertEquals(EnumSet.of(NodeRole.EDGE, NodeRole.GATEWAY), s.roles());
        assertEquals(List.of(new SeedNode("10.0.0.1", 25520), new SeedNode("::1", 25521)), s.seedNodes());
    }

    @Test
    void aPortOutOfRange() {
        assertEquals("fedpipe.node.port: must be a port number 0..65535, got 70000", error("fedpipe.node.port = 70000"));
    }

    @Test
    void aPortThatIsNotANumber() {
        assertEquals("fedpipe.node.management.port: must be a port number 0..65535, got 'http'",
                error("fedpipe.node.management.port = http"));
    }

    @Test
    void managementOnTheArteryPort() {
        assertEquals("fedpipe.node.management.port: must differ from fedpipe.node.port (25520)",
                error("fedpipe.node.management.port = 25520"));
    }

    @Test
    void aMissingDataDirectoryOnAnEdgeNode() {
        Path missing = dir.resolve("nope");
        assertEquals("fedpipe.node.data-dir: directory " + missing + " does not exist (an edge node keeps its private data there)",
                error("fedpipe.node.data-dir = \"" + missing + "\""));
    }

    @Test
    void aMissingDataDirectoryIsFineWithoutTheEdgeRole() {
        NodeSettings s = NodeSettings.fromConfig(config(
                "fedpipe.node.roles = [scheduler]\nfedpipe.node.data-dir = \"" + dir.resolve("later") + "\""));
        assertEquals(EnumSet.of(NodeRole.SCHEDULER), s.roles());
    }

    @Test
    void anUnknownRole() {
        assertEquals("fedpipe.node.roles: unknown role 'trainer' (known: edge, aggregator, scheduler, gateway)",
                error("fedpipe.node.roles = [edge, trainer]"));
    }

    @Test
    void noRoleAtAll() {
        assertEquals("fedpipe.node.roles: needs at least one of edge, aggregator, scheduler, gateway",
                error("fedpipe.node.roles = []"));
    }

    @Test
    void aSeedWithoutAPort() {
        assertEquals("fedpipe.node.seed-nodes: '127.0.0.1' is not host:port", error("fedpipe.node.seed-nodes = [\"127.0.0.1\"]"));
    }

    @Test
    void aMemoryBudgetThatIsNotASize() {
        assertEquals("fedpipe.node.resources.memory-budget: must be a size in bytes such as 4 GiB or 512 MiB, got 'lots'",
                error("fedpipe.node.resources.memory-budget = lots"));
    }

    @Test
    void aNonPositiveLinkSpeed() {
        assertEquals("fedpipe.node.resources.uplink-mbps: must be a positive number, got 0",
                error("fedpipe.node.resources.uplink-mbps = 0"));
    }

    @Test
    void aComputeScaleAboveOne() {
        assertEquals("fedpipe.node.resources.compute-scale: must be in (0, 1.0], got 2",
                error("fedpipe.node.resources.compute-scale = 2"));
    }

    @Test
    void negativeThreads() {
        assertEquals("fedpipe.trainer: fedpipe.trainer.threads must be in [0, 1024]: -1",
                error("fedpipe.trainer.threads = -1"));
    }

    @Test
    void zeroThreadsMeansEveryCore() {
        assertEquals(Runtime.getRuntime().availableProcessors(),
                NodeSettings.fromConfig(config("fedpipe.trainer.threads = 0")).resources().threads());
    }

    @Test
    void aWireLimitThatDoesNotFitTheLargeFrame() {
        assertEquals("fedpipe.wire.max-message-bytes: fedpipe.wire.max-message-bytes (33554432 bytes) must be at most "
                + "pekko.remote.artery.advanced.maximum-large-frame-size less 64 KiB of envelope (33488896 bytes)",
                error("fedpipe.wire.max-message-bytes = 32 MiB"));
    }

    @Test
    void h2SchemaCreationWithAPostgresJournal() {
        Config c = NodeConfig.layered(ConfigFactory.parseString("fedpipe.node.data-dir = \"" + dir + "\"\n"
                + "pekko-persistence-jdbc.shared-databases.fedpipe.db.url = \"jdbc:postgresql://db/fedpipe\""));
        assertEquals("fedpipe.persistence.create-h2-schema: is on but the journal is not H2 (jdbc:postgresql://db/fedpipe); "
                + "apply its schema with 'fedpipe db-schema' and turn this off",
                assertThrows(IllegalArgumentException.class, () -> NodeSettings.fromConfig(c)).getMessage());
    }

    @Test
    void thePostgresOverlayTurnsH2SchemaCreationOff() {
        Config c = NodeConfig.load(Path.of("cluster-configs/postgres.conf"));
        Config withDir = ConfigFactory.parseString("fedpipe.node.data-dir = \"" + dir + "\"").withFallback(c);
        assertEquals(false, NodeSettings.fromConfig(withDir).createH2Schema());
        assertEquals("slick.jdbc.PostgresProfile$", c.getString("pekko-persistence-jdbc.shared-databases.fedpipe.profile"));
    }

    @Test
    void everyProblemIsReportedOnItsOwnLine() {
        String[] lines = error("fedpipe.node.port = -1\nfedpipe.node.roles = [cook]\nfedpipe.node.resources.downlink-mbps = -5")
                .split("\n");
        assertEquals(3, lines.length);
        assertEquals("fedpipe.node.port: must be a port number 0..65535, got -1", lines[0]);
        assertEquals("fedpipe.node.roles: unknown role 'cook' (known: edge, aggregator, scheduler, gateway)", lines[1]);
        assertEquals("fedpipe.node.resources.downlink-mbps: must be a positive number, got -5", lines[2]);
    }

    @Test
    void aMeasuredProfileFileIsLoadedAndSentInTheNodeProfile() throws Exception {
        assertEquals(null, NodeSettings.fromConfig(config("")).profile());
        var timings = io.fedpipe.profile.SyntheticProfiles.pureFlopRate(64,
                java.util.Map.of(io.fedpipe.quant.QuantFormat.FP32, 2e-11));
        var shape = io.fedpipe.profile.SyntheticProfiles.SHAPE;
        var written = io.fedpipe.profile.MeasuredProfile.of(timings,
                io.fedpipe.profile.MeasuredDevice.fit("m", timings, shape, 0),
                io.fedpipe.profile.FittedCostModel.fit(timings, shape, io.fedpipe.profile.FittedCostModel.Form.FLOPS));
        Path file = dir.resolve("profile.json");
        written.write(file);
        NodeSettings s = NodeSettings.fromConfig(config("fedpipe.node.profile = \"" + file + "\""));
        assertEquals(written, s.profile());
        var measured = io.fedpipe.cluster.node.FedPipeNode.profile(s).measured();
        assertEquals(written.fp32Tflops(), measured.fp32Tflops(), 0);
        assertEquals(written.slowdown(), measured.slowdown());
    }

    @Test
    void aMissingProfileFileStopsTheNodeWithOneLine() {
        Path missing = dir.resolve("nope.json");
        assertEquals("fedpipe.node.profile: profile file " + missing + " does not exist",
                error("fedpipe.node.profile = \"" + missing + "\""));
    }
}
