package io.fedpipe.cluster.local;

import io.fedpipe.runtime.ChildJvm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Several FedPipe node processes on loopback, for the demo, benchmarks and end-to-end tests:
 * writes one overlay per node ({@link LocalClusterLayout}), starts each node as a child JVM
 * ({@code FedPipeCli node --config <overlay>}, DJL offline and the MKL shim via {@link ChildJvm}),
 * sends each node's output to its log file, and waits until every node's {@code /ready} answers
 * 200. A node can be killed ({@code kill -9}) and restarted with the same overlay; {@link #close}
 * stops all of them (SIGTERM, then force after a grace period).
 *
 * <pre>{@code
 * try (LocalCluster cluster = LocalCluster.start(LocalClusterLayout.plan(out, specs, options))) {
 *     String contact = cluster.nodes().get(0).contact();   // 127.0.0.1:port for --contact
 *     cluster.kill("node-2");
 *     cluster.restart("node-2");
 * }
 * }</pre>
 */
public final class LocalCluster implements AutoCloseable {

    /** A node that died or did not become ready: names the node and its log file. */
    public static final class NodeFailure extends RuntimeException {
        private final String node;
        private final Path log;

        public NodeFailure(String node, Path log, String what) {
            super("node " + node + " " + what + " (log: " + log + ")" + tail(log));
            this.node = node;
            this.log = log;
        }

        public String node() {
            return node;
        }

        public Path log() {
            return log;
        }

        /** The log's last lines that look like errors, so the message says why without opening the file. */
        private static String tail(Path log) {
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                List<String> errors = lines.stream().filter(l -> l.contains("ERROR") || l.startsWith("fedpipe:")
                        || l.contains("Exception")).toList();
                List<String> last = errors.subList(Math.max(0, errors.size() - 3), errors.size());
                return last.isEmpty() ? "" : System.lineSeparator() + "  " + String.join(System.lineSeparator() + "  ", last);
            } catch (IOException | UncheckedIOException e) {
                return "";
            }
        }
    }

    private static final Duration POLL = Duration.ofMillis(500);

    /** Starts one node's process; the default runs {@code FedPipeCli node} in a child JVM. */
    @FunctionalInterface
    interface Launcher {
        Process start(LocalClusterLayout.Node node, LocalClusterLayout.Options options) throws IOException;
    }

    private final LocalClusterLayout layout;
    private final Launcher launcher;
    private final Map<String, Process> processes = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Thread shutdownHook;

    private LocalCluster(LocalClusterLayout layout, Launcher launcher) {
        this.layout = layout;
        this.launcher = launcher;
        // Children must not outlive a parent stopped by Ctrl-C: the same clean stop as close().
        this.shutdownHook = new Thread(this::close, "local-cluster-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Writes the overlays, starts every node and waits until all are ready; on failure stops the
     * nodes already started and throws {@link NodeFailure}.
     */
    public static LocalCluster start(LocalClusterLayout layout) throws IOException, InterruptedException {
        return start(layout, LocalCluster::childJvm);
    }

    /** As {@link #start(LocalClusterLayout)} with another way to start a node (tests). */
    static LocalCluster start(LocalClusterLayout layout, Launcher launcher) throws IOException, InterruptedException {
        layout.write();
        LocalCluster cluster = new LocalCluster(layout, launcher);
        try {
            for (LocalClusterLayout.Node n : layout.nodes()) {
                cluster.launch(n);
            }
            cluster.awaitReady(layout.nodes().stream().map(LocalClusterLayout.Node::name).toList());
            return cluster;
        } catch (RuntimeException | IOException | InterruptedException e) {
            cluster.close();
            throw e;
        }
    }

    public List<LocalClusterLayout.Node> nodes() {
        return layout.nodes();
    }

    public LocalClusterLayout.Node node(String name) {
        return layout.node(name);
    }

    /** {@code host:port} of every node, for {@code --contact} or a {@code GatewayClient}. */
    public List<String> contacts() {
        return layout.nodes().stream().map(LocalClusterLayout.Node::contact).toList();
    }

    /** Whether the node's process is running. */
    public boolean alive(String name) {
        Process p = processes.get(layout.node(name).name());
        return p != null && p.isAlive();
    }

    /** {@code kill -9} of one node; returns once the process is gone. */
    public void kill(String name) throws InterruptedException {
        Process p = processes.get(layout.node(name).name());
        if (p != null) {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    /** Starts a stopped or killed node again with the same overlay and waits until it is ready. */
    public void restart(String name) throws IOException, InterruptedException {
        LocalClusterLayout.Node n = layout.node(name);
        if (alive(n.name())) {
            throw new IllegalStateException("node " + n.name() + " is still running; kill or stop it first");
        }
        launch(n);
        awaitReady(List.of(n.name()));
    }

    /** Sends SIGTERM to one node (coordinated shutdown: it leaves the cluster) and waits up to {@code grace}. */
    public boolean stop(String name, Duration grace) throws InterruptedException {
        Process p = processes.get(layout.node(name).name());
        if (p == null || !p.isAlive()) {
            return true;
        }
        p.destroy();
        if (p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            return true;
        }
        p.destroyForcibly();
        p.waitFor();
        return false;
    }

    /** Whether {@code /ready} of the node answers 200 now. */
    public boolean ready(String name) {
        return httpStatus(layout.node(name).managementUrl() + "/ready") == 200;
    }

    /** GET on a node's management endpoint ({@code path} starts with '/'): the body, or an exception. */
    public String get(String name, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(layout.node(name).managementUrl() + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + " on node " + name + ": HTTP " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    /**
     * Waits until every named node's {@code /ready} answers 200; a node whose process exits, or
     * that is not ready within the layout's ready timeout, is a {@link NodeFailure}.
     */
    public void awaitReady(List<String> names) throws InterruptedException {
        long deadline = System.nanoTime() + layout.options().readyTimeout().toNanos();
        List<String> waiting = new ArrayList<>(names);
        while (!waiting.isEmpty()) {
            for (var it = waiting.iterator(); it.hasNext();) {
                LocalClusterLayout.Node n = layout.node(it.next());
                Process p = processes.get(n.name());
                if (p == null || !p.isAlive()) {
                    throw new NodeFailure(n.name(), n.log(), "exited"
                            + (p == null ? "" : " with code " + p.exitValue()) + " before it became ready");
                }
                if (ready(n.name())) {
                    it.remove();
                }
            }
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                LocalClusterLayout.Node n = layout.node(waiting.get(0));
                throw new NodeFailure(n.name(), n.log(), "did not become ready within "
                        + layout.options().readyTimeout().toSeconds() + " s (" + n.managementUrl() + "/ready)"
                        + (waiting.size() > 1 ? "; also not ready: " + String.join(", ", waiting.subList(1, waiting.size())) : ""));
        }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** The first node among {@code names} whose process has exited, if any: for callers watching a job. */
    public java.util.Optional<LocalClusterLayout.Node> firstDead() {
        return layout.nodes().stream().filter(n -> processes.containsKey(n.name()) && !processes.get(n.name()).isAlive())
                .findFirst();
    }

    /**
     * Stops every node: SIGTERM to all (each leaves the cluster and hands over its shards), then
     * waits up to the layout's stop grace, then forces the rest.
     */
    @Override
    public synchronized void close() {
        for (Process p : processes.values()) {
            if (p.isAlive()) {
                p.destroy();
            }
        }
        long deadline = System.nanoTime() + layout.options().stopGrace().toNanos();
        for (Process p : processes.values()) {
            try {
                long left = Math.max(0, deadline - System.nanoTime());
                if (!p.waitFor(left, TimeUnit.NANOSECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // Already shutting down: the hook runs anyway.
        }
    }

    private synchronized void launch(LocalClusterLayout.Node n) throws IOException {
        Files.createDirectories(n.log().getParent());
        processes.put(n.name(), launcher.start(n, layout.options()));
    }

    /** A node as a child JVM running {@code FedPipeCli node --config <overlay>}, its output appended to its log. */
    static Process childJvm(LocalClusterLayout.Node n, LocalClusterLayout.Options o) throws IOException {
        ChildJvm.Builder jvm = ChildJvm.forMain("io.fedpipe.cli.FedPipeCli")
                .classPath(absoluteClassPath(System.getProperty("java.class.path")))
                .threads(o.threadsPerNode())
                .jvmOptions("-Xss4m", "-Xmx" + o.heap())
                .args("node", "--config", n.overlay().toAbsolutePath().toString());
        String home = System.getProperty("fedpipe.home");
        if (home != null) {
            jvm.property("fedpipe.home", home);
        }
        ProcessBuilder pb = jvm.processBuilder();
        pb.environment().put("FEDPIPE_THREADS", Integer.toString(o.threadsPerNode()));
        pb.redirectErrorStream(true);
        // Appended: a restarted node's log keeps what happened before the kill.
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(n.log().toFile()));
        return pb.start();
    }

    /** The class path with absolute entries, so a child started in another directory finds it too. */
    static String absoluteClassPath(String classPath) {
        return java.util.Arrays.stream(classPath.split(java.io.File.pathSeparator)).filter(s -> !s.isEmpty())
                .map(s -> Path.of(s).toAbsolutePath().normalize().toString())
                .collect(Collectors.joining(java.io.File.pathSeparator));
    }

    private int httpStatus(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** {@code count} distinct free TCP ports on loopback (free when asked; a race with other processes is possible). */
    public static int[] freePorts(int count) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                s.setReuseAddress(true);
                held.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find free ports on loopback: " + e.getMessage(), e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // Closing a probe socket cannot lose anything.
                }
            }
        }
    }
}
