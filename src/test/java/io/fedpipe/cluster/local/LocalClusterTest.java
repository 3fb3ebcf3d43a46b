package io.fedpipe.cluster.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.fedpipe.cluster.config.NodeConfig;
import io.fedpipe.cluster.protocol.NodeRole;
import io.fedpipe.cluster.config.NodeSettings;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Overlay generation, ports and the ready/failure handling of {@link LocalCluster}, without starting node JVMs. */
class LocalClusterTest {

    @TempDir
    Path dir;

    private static List<LocalClusterLayout.NodeSpec> specs() {
        return List.of(
                new LocalClusterLayout.NodeSpec("node-1", EnumSet.of(NodeRole.SCHEDULER, NodeRole.GATEWAY, NodeRole.EDGE),
                        2L << 30, 100, 100, 1.0),
                new LocalClusterLayout.NodeSpec("node-2", EnumSet.of(NodeRole.AGGREGATOR, NodeRole.EDGE), 1L << 30, 50, 40,
                        0.5),
                new LocalClusterLayout.NodeSpec("node-3", EnumSet.of(NodeRole.EDGE), 120L << 20, 10, 10, 0.25));
    }

    private static LocalClusterLayout.Options options(Duration ready) {
        return new LocalClusterLayout.Options(1, "512m", ready, Duration.ofSeconds(5),
                List.of("fedpipe.scheduler.recovery-grace = 3s"));
    }

    @Test
    void overlaysReadBackAsTheSettingsTheyWereWrittenFrom() throws Exception {
        LocalClusterLayout layout = LocalClusterLayout.plan(dir, specs(), options(Duration.ofSeconds(5)),
                new int[] {25001, 25002, 25003, 25004, 25005, 25006});
        layout.write();
        LocalClusterLayout.Node n3 = layout.node("node-3");
        assertEquals(dir.resolve("nodes/node-3/node.conf").toAbsolutePath(), n3.overlay());
        assertEquals("127.0.0.1:25005", n3.contact());
        assertEquals("http://127.0.0.1:25006", n3.managementUrl());

        var c = NodeConfig.load(n3.overlay());
        NodeSettings s = NodeSettings.fromConfig(c);
        assertEquals("node-3", s.name());
        assertEquals(25005, s.port());
        assertEquals(25006, s.managementPort());
        assertEquals("127.0.0.1", s.managementHost());
        assertEquals(EnumSet.of(NodeRole.EDGE), s.roles());
        assertEquals(120L << 20, s.resources().memoryBytes());
        assertEquals(10.0, s.resources().uplinkMbps());
        assertEquals(0.25, s.resources().computeScale());
        assertEquals(1, s.resources().threads());
        // The first two nodes are the seeds, node-1 first (it forms the cluster).
        assertEquals(List.of("127.0.0.1:25001", "127.0.0.1:25003"),
                s.seedNodes().stream().map(x -> x.host() + ":" + x.port()).toList());
        // Every node shares one journal file, so singletons and partitions recover wherever they move.
        assertEquals(c.getString("fedpipe.persistence.h2-file"),
                NodeConfig.load(layout.node("node-1").overlay()).getString("fedpipe.persistence.h2-file"));
        assertTrue(s.journalUrl().startsWith("jdbc:h2:file:" + layout.journalFile()), s.journalUrl());
        assertEquals(Duration.ofSeconds(3), c.getDuration("fedpipe.scheduler.recovery-grace"));
        assertEquals(40.0, NodeSettings.fromConfig(NodeConfig.load(layout.node("node-2").overlay())).resources().downlinkMbps());
        assertTrue(Files.isDirectory(n3.dataDir()));
    }

    @Test
    void duplicatePortsOrNamesAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> LocalClusterLayout.plan(dir, specs(),
                options(Duration.ofSeconds(5)), new int[] {25001, 25002, 25003, 25001, 25005, 25006}));
        assertEquals("node node-2: port 25003 or 25001 is used twice", e.getMessage());
        var n = assertThrows(IllegalArgumentException.class, () -> LocalClusterLayout.plan(dir,
                List.of(specs().get(0), specs().get(0)), options(Duration.ofSeconds(5)), new int[] {1, 2, 3, 4}));
        assertEquals("node name node-1 is used twice", n.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LocalClusterLayout.NodeSpec("Node 1",
                EnumSet.of(NodeRole.EDGE), 1, 1, 1, 1));
    }

    @Test
    void freePortsAreDistinctAndBindable() throws Exception {
        int[] ports = LocalCluster.freePorts(6);
        assertEquals(6, Arrays.stream(ports).distinct().count());
        for (int p : ports) {
            try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                assertEquals(p, s.getLocalPort());
            }
        }
    }

    @Test
    void waitsUntilEveryReadyAnswers200AndKillsAndRestartsANode() throws Exception {
        int[] ports = LocalCluster.freePorts(4);
        LocalClusterLayout layout = LocalClusterLayout.plan(dir, specs().subList(0, 2), options(Duration.ofSeconds(20)),
                ports);
        // Node 1 is ready at once; node 2 answers 503 twice before 200, as a node still joining does.
        AtomicInteger asked = new AtomicInteger();
        List<HttpServer> servers = new ArrayList<>();
        servers.add(readyServer(ports[1], () -> 200));
        servers.add(readyServer(ports[3], () -> asked.incrementAndGet() <= 2 ? 503 : 200));
        List<String> started = new ArrayList<>();
        try (LocalCluster cluster = LocalCluster.start(layout, (node, o) -> {
            started.add(node.name());
            return new ProcessBuilder("sleep", "60").start();
        })) {
            assertEquals(List.of("node-1", "node-2"), started);
            assertTrue(asked.get() >= 3, "node-2 was asked " + asked.get() + " times");
            assertTrue(cluster.ready("node-2"));
            cluster.kill("node-2");
            assertFalse(cluster.alive("node-2"));
            assertEquals("node-2", cluster.firstDead().orElseThrow().name());
            cluster.restart("node-2");
            assertTrue(cluster.alive("node-2"));
            assertEquals(List.of("node-1", "node-2", "node-2"), started);
            assertEquals(List.of(layout.node("node-1").contact(), layout.node("node-2").contact()), cluster.contacts());
        } finally {
            servers.forEach(s -> s.stop(0));
        }
    }

    @Test
    void aNodeThatExitsBeforeItIsReadyIsNamedWithItsLog() throws Exception {
        int[] ports = LocalCluster.freePorts(4);
        LocalClusterLayout layout = LocalClusterLayout.plan(dir, specs().subList(0, 2), options(Duration.ofSeconds(20)),
                ports);
        HttpServer one = readyServer(ports[1], () -> 200);
        try {
            var e = assertThrows(LocalCluster.NodeFailure.class, () -> LocalCluster.start(layout, (node, o) -> {
                Files.writeString(node.log(), "12:00:00.000 ERROR boom: no data directory\n");
                return node.name().equals("node-2") ? new ProcessBuilder("false").start()
                        : new ProcessBuilder("sleep", "60").start();
            }));
            assertEquals("node-2", e.node());
            assertEquals(layout.node("node-2").log(), e.log());
            assertTrue(e.getMessage().startsWith("node node-2 exited with code 1 before it became ready (log: "
                    + layout.node("node-2").log() + ")"), e.getMessage());
            assertTrue(e.getMessage().contains("ERROR boom: no data directory"), e.getMessage());
        } finally {
            one.stop(0);
        }
    }

    @Test
    void aNodeThatNeverAnswersTimesOut() throws Exception {
        int[] ports = LocalCluster.freePorts(2);
        LocalClusterLayout layout = LocalClusterLayout.plan(dir, specs().subList(0, 1), options(Duration.ofSeconds(2)),
                ports);
        long start = System.nanoTime();
        var e = assertThrows(LocalCluster.NodeFailure.class,
                () -> LocalCluster.start(layout, (node, o) -> new ProcessBuilder("sleep", "60").start()));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds >= 2 && seconds < 10, "took " + seconds + " s");
        assertTrue(e.getMessage().startsWith("node node-1 did not become ready within 2 s (http://127.0.0.1:" + ports[1]
                + "/ready)"), e.getMessage());
    }

    private static HttpServer readyServer(int port, java.util.function.IntSupplier status) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        s.createContext("/ready", ex -> {
            ex.sendResponseHeaders(status.getAsInt(), -1);
            ex.close();
        });
        s.start();
        return s;
    }
}
