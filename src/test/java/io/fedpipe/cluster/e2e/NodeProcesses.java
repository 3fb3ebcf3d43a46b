package io.fedpipe.cluster.e2e;

import io.fedpipe.cli.FedPipeCli;
import io.fedpipe.cluster.gateway.GatewayClient;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.cluster.protocol.GatewayProtocol.JobStatus;
import io.fedpipe.runtime.ChildJvm;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A minimal launcher of real node processes on loopback for tests: each node is
 * {@code fedpipe node --config <overlay>} in its own JVM (ChildJvm: DJL offline, one PyTorch
 * thread), its output appended to {@code <dir>/<name>.log}, so a restart with the same overlay
 * continues the same log. {@link #kill} is {@code kill -9} (no coordinated shutdown, no leave).
 * {@link #startThree} starts the three-node cluster both process tests use (node-1 and node-2 may
 * host the scheduler and are the seeds, node-3 is edge-only), {@link #submit} and {@link #await}
 * talk to it through the gateway as a user does.
 */
final class NodeProcesses implements AutoCloseable {

    private final Path dir;
    private final Map<String, Path> overlays = new LinkedHashMap<>();
    private final Map<String, Process> running = new LinkedHashMap<>();

    /** The roles of node-1, node-2, node-3 in {@link #startThree}. */
    private static final String[] ROLES =
            {"[scheduler, gateway, aggregator, edge]", "[scheduler, gateway, aggregator, edge]", "[edge]"};

    private int[] ports;

    NodeProcesses(Path dir) {
        this.dir = dir;
    }

    /** Logs and overlays under {@code target/cluster-logs/<run>}, outside any temp dir, so that a failure can be read afterwards. */
    static NodeProcesses inTarget(String run) throws IOException {
        return new NodeProcesses(Files.createDirectories(Path.of("target", "cluster-logs", run)));
    }

    /**
     * Starts node-1, node-2 and node-3 on free loopback ports, one after the other (node-1 is the
     * oldest member, so it hosts the scheduler singleton), each with its data dir under {@code dataDirs};
     * {@code extra} lines end every overlay. Returns when the scheduler can plan all three: their
     * trainers registered, and listed by the Receptionist (a job's participants are those nodes).
     */
    void startThree(Path dataDirs, String... extra) throws Exception {
        ports = new int[] {freePort(), freePort(), freePort()};
        List<Integer> seeds = List.of(ports[0], ports[1]);
        for (int i = 0; i < 3; i++) {
            String name = "node-" + (i + 1);
            start(name, overlay(name, ports[i], seeds, ROLES[i], Files.createDirectories(dataDirs.resolve(name)), extra));
            awaitLog(name, "fedpipe node " + name + " at", Duration.ofSeconds(60));
        }
        for (int i = 1; i <= 3; i++) {
            awaitLog("node-" + i, "trainer node-" + i + ": registered", Duration.ofSeconds(60));
        }
        // Registered is not yet eligible: the scheduler (on node-1) also needs the trainer in the
        // Receptionist's listing, which can arrive later.
        for (int i = 1; i <= 3; i++) {
            awaitLog("node-1", "node node-" + i + " can train", Duration.ofSeconds(60));
        }
    }

    /** A gateway client with the two scheduler nodes of {@link #startThree} as contact points. */
    GatewayClient gateway() {
        return GatewayClient.connect(List.of("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1]), "fedpipe", "127.0.0.1");
    }

    private static String overlay(String name, int port, List<Integer> seeds, String roles, Path dataDir,
            String... extra) {
        List<String> lines = new ArrayList<>(List.of(
                "fedpipe.node {",
                "  name = \"" + name + "\"",
                "  port = " + port,
                "  seed-nodes = [" + String.join(", ", seeds.stream().map(p -> "\"127.0.0.1:" + p + "\"").toList()) + "]",
                "  roles = " + roles,
                "  data-dir = \"" + dataDir + "\"",
                "  management.port = 0",
                // ~4 s of emulated upload per round (about 160 kB of adapters): rounds long enough for a killed
                // node to come back and load the job before the last one, without more CPU on 2 cores.
                "  resources.uplink-mbps = 0.35",
                "}",
                "fedpipe.trainer.threads = 1",
                "fedpipe.scheduler.recovery-grace = 5s",
                "fedpipe.scheduler.prepare-timeout = 120s",
                // Three JVMs train on 2 cores: patient heartbeats, then a quick decision on a dead node.
                "pekko.cluster.failure-detector.acceptable-heartbeat-pause = 8s",
                "pekko.cluster.split-brain-resolver.stable-after = 5s"));
        lines.addAll(List.of(extra));
        return String.join("\n", lines);
    }

    /** Submits {@link ClusterJobEndToEndTest#jobFile} with {@code overrides} as {@code name}; the job id. */
    static String submit(GatewayClient client, String name, String... overrides) throws Exception {
        GatewayProtocol.Reply accepted = client.ask(new GatewayProtocol.SubmitJob(name,
                ClusterJobEndToEndTest.jobFile(overrides)), Duration.ofSeconds(20));
        return ((GatewayProtocol.JobAccepted) accepted).jobId();
    }

    /** Polls the job's status until {@code done} holds. */
    static JobStatus await(GatewayClient client, String id, Predicate<JobStatus> done, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        Object last = null;
        while (System.nanoTime() < deadline) {
            try {
                // During a fail-over the gateway may not answer, or answer that the scheduler did not.
                GatewayProtocol.Reply r = client.ask(new GatewayProtocol.GetJobStatus(id), Duration.ofSeconds(5));
                last = r;
                if (r instanceof JobStatus s && done.test(s)) {
                    return s;
                }
            } catch (TimeoutException e) {
                last = e.getMessage();
            }
            Thread.sleep(300);
        }
        throw new AssertionError("job " + id + ": condition not met within " + limit + "; last answer " + last);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Writes the node's overlay and starts it. */
    void start(String name, String overlay) throws IOException {
        Path file = dir.resolve(name + ".conf");
        Files.writeString(file, overlay);
        overlays.put(name, file);
        launch(name);
    }

    /** Starts the node again with the overlay it had. */
    void restart(String name) throws IOException {
        launch(name);
    }

    private void launch(String name) throws IOException {
        Process p = ChildJvm.forMain(FedPipeCli.class).threads(1).jvmOptions("-Xmx768m", "-XX:+UseSerialGC")
                                // The product's logging (node start line, cluster INFO), not the test classpath's logback-test.xml.
                .property("logback.configurationFile", Path.of("target/classes/logback.xml").toAbsolutePath().toString())
                .args("node", "--config", overlays.get(name).toString()).processBuilder()
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(name).toFile())).start();
        running.put(name, p);
    }

    Path log(String name) {
        return dir.resolve(name + ".log");
    }

    String logText(String name) throws IOException {
        return Files.exists(log(name)) ? Files.readString(log(name)) : "";
    }

    /** kill -9: the process gets no chance to leave the cluster. */
    void kill(String name) throws InterruptedException {
        Process p = running.remove(name);
        p.destroyForcibly();
        p.waitFor(20, TimeUnit.SECONDS);
    }

    /** Waits until {@code text} appears in the node's log. */
    void awaitLog(String name, String text, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (logText(name).contains(text)) {
                return;
            }
            Process p = running.get(name);
            if (p != null && !p.isAlive()) {
                throw new AssertionError(name + " exited with " + p.exitValue() + "; log:\n" + tail(name));
            }
            Thread.sleep(300);
        }
        throw new AssertionError(name + " did not log '" + text + "' within " + limit + "; log:\n" + tail(name));
    }

    String tail(String name) throws IOException {
        String t = logText(name);
        return t.substring(Math.max(0, t.length() - 4000));
    }

    @Override
    public void close() {
        running.values().forEach(Process::destroyForcibly);
        for (Process p : running.values()) {
            try {
                p.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        running.clear();
    }
}
