package io.fedpipe.cluster.e2e;

import io.fedpipe.cli.FedPipeCli;
import io.fedpipe.runtime.ChildJvm;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A minimal launcher of real node processes on loopback for tests: each node is
 * {@code fedpipe node --config <overlay>} in its own JVM (ChildJvm: DJL offline, one PyTorch
 * thread), its output appended to {@code <dir>/<name>.log}, so a restart with the same overlay
 * continues the same log. {@link #kill} is {@code kill -9} (no coordinated shutdown, no leave).
 */
final class NodeProcesses implements AutoCloseable {

    private final Path dir;
    private final Map<String, Path> overlays = new LinkedHashMap<>();
    private final Map<String, Process> running = new LinkedHashMap<>();

    NodeProcesses(Path dir) {
        this.dir = dir;
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
