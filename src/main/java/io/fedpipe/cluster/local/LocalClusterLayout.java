package io.fedpipe.cluster.local;

import com.typesafe.config.ConfigUtil;
import io.fedpipe.cluster.protocol.NodeRole;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where the nodes of a {@link LocalCluster} live: per node its ports, data directory, overlay
 * file and log file under one output directory, and the text of each overlay. Pure (no process
 * is started), so it can be tested on its own; {@link #write} creates the directories and files.
 *
 * <pre>
 *  out/nodes/node-1/node.conf     the overlay ({@code fedpipe node --config} reads it)
 *  out/nodes/node-1/data/         the node's data directory
 *  out/nodes/node-1/node.log      stdout and stderr of the process (appended on restart)
 *  out/journal/                   the shared embedded journal (H2 AUTO_SERVER)
 * </pre>
 *
 * The first two nodes are the seeds, the first listing itself first (it forms the cluster); a
 * restarted node rejoins through the other seed. All nodes share one H2 journal file, as the
 * scheduler singleton and the aggregator partitions must read their own history wherever they
 * move after a node dies.
 */
public record LocalClusterLayout(Path outDir, Options options, List<Node> nodes) {

    /**
     * What one node offers (DESIGN.md §5, emulated).
     *
     * @param memoryBytes  memory budget the planner respects
     * @param computeScale below 1 emulates a slower machine
     */
    public record NodeSpec(String name, Set<NodeRole> roles, long memoryBytes, double uplinkMbps,
            double downlinkMbps, double computeScale) {
        public NodeSpec {
            if (name == null || !name.matches("[a-z0-9][a-z0-9-]*")) {
                throw new IllegalArgumentException("node name must be lower-case letters, digits and '-', got '" + name + "'");
            }
            if (roles == null || roles.isEmpty()) {
                throw new IllegalArgumentException("node " + name + " needs at least one role");
            }
            if (memoryBytes <= 0 || !(uplinkMbps > 0) || !(downlinkMbps > 0) || !(computeScale > 0)) {
                throw new IllegalArgumentException("node " + name + ": memory, link speeds and compute scale must be positive");
            }
            roles = Set.copyOf(roles);
        }
    }

    /**
     * @param threadsPerNode PyTorch intra-op threads per node (nodes share the machine's cores)
     * @param heap           each node's {@code -Xmx}, e.g. {@code 1g}
     * @param readyTimeout   how long nodes may take to answer {@code /ready} with 200
     * @param stopGrace      how long SIGTERM may take before a node is killed
     * @param extraConfig    HOCON lines appended to every overlay (e.g. scheduler timeouts in tests)
     */
    public record Options(int threadsPerNode, String heap, Duration readyTimeout, Duration stopGrace,
            List<String> extraConfig) {
        public Options {
            if (threadsPerNode < 1) {
                throw new IllegalArgumentException("threads per node must be >= 1, got " + threadsPerNode);
            }
            if (heap == null || !heap.matches("[0-9]+[kmgKMG]")) {
                throw new IllegalArgumentException("heap must look like 512m or 1g, got '" + heap + "'");
            }
            extraConfig = List.copyOf(extraConfig);
        }

        /** One thread and 1 GiB of heap per node, 3 minutes to become ready, 30 s to stop. */
        public static Options defaults() {
            return new Options(1, "1g", Duration.ofMinutes(3), Duration.ofSeconds(30), List.of());
        }
    }

    /** One node's place: its spec, ports and files. */
    public record Node(NodeSpec spec, int port, int managementPort, Path dataDir, Path overlay, Path log) {
        public String name() {
            return spec.name();
        }

        /** Artery address {@code 127.0.0.1:port}: a seed, or a {@code --contact} for the CLI. */
        public String contact() {
            return HOST + ":" + port;
        }

        public String managementUrl() {
            return "http://" + HOST + ":" + managementPort;
        }
    }

    static final String HOST = "127.0.0.1";

    public LocalClusterLayout {
        nodes = List.copyOf(nodes);
        Set<String> names = new HashSet<>();
        Set<Integer> ports = new HashSet<>();
        for (Node n : nodes) {
            if (!names.add(n.name())) {
                throw new IllegalArgumentException("node name " + n.name() + " is used twice");
            }
            if (!ports.add(n.port()) || !ports.add(n.managementPort())) {
                throw new IllegalArgumentException("node " + n.name() + ": port " + n.port() + " or " + n.managementPort()
                        + " is used twice");
            }
        }
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a local cluster needs at least one node");
        }
    }

    /** Free loopback ports for every node (Artery and management). */
    public static LocalClusterLayout plan(Path outDir, List<NodeSpec> specs, Options options) {
        return plan(outDir, specs, options, LocalCluster.freePorts(2 * specs.size()));
    }

    /** As above with given ports: {@code ports[2i]} is node i's Artery port, {@code ports[2i+1]} its management port. */
    public static LocalClusterLayout plan(Path outDir, List<NodeSpec> specs, Options options, int[] ports) {
        if (ports.length != 2 * specs.size()) {
            throw new IllegalArgumentException("need " + 2 * specs.size() + " ports, got " + ports.length);
        }
        Path out = outDir.toAbsolutePath().normalize();
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            NodeSpec s = specs.get(i);
            Path dir = out.resolve("nodes").resolve(s.name());
            nodes.add(new Node(s, ports[2 * i], ports[2 * i + 1], dir.resolve("data"), dir.resolve("node.conf"),
                    dir.resolve("node.log")));
        }
        return new LocalClusterLayout(out, options, nodes);
    }

    public Node node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node '" + name + "' in this cluster; nodes: "
                        + nodes.stream().map(Node::name).collect(Collectors.joining(", "))));
    }

    /** The seeds: the first two nodes (one if there is only one). */
    public List<Node> seeds() {
        return nodes.subList(0, Math.min(2, nodes.size()));
    }

    /** The shared journal file (without H2's suffix). */
    public Path journalFile() {
        return outDir.resolve("journal").resolve("fedpipe");
    }

    /** The overlay of {@code node}: a thin file on top of application.conf, like cluster-configs/node-*.conf. */
    public String overlay(Node node) {
        NodeSpec s = node.spec();
        String nl = System.lineSeparator();
        StringBuilder b = new StringBuilder();
        b.append("# Written by LocalCluster; start with: fedpipe node --config ").append(node.overlay()).append(nl);
        b.append("fedpipe.node {").append(nl);
        b.append("  name = ").append(q(s.name())).append(nl);
        b.append("  host = ").append(q(HOST)).append(nl);
        b.append("  port = ").append(node.port()).append(nl);
        b.append("  seed-nodes = [").append(seeds().stream().map(n -> q(n.contact())).collect(Collectors.joining(", ")))
                .append("]").append(nl);
        b.append("  roles = [").append(s.roles().stream().sorted().map(r -> q(r.key())).collect(Collectors.joining(", ")))
                .append("]").append(nl);
        b.append("  data-dir = ").append(q(node.dataDir().toString())).append(nl);
        b.append("  management { host = ").append(q(HOST)).append(", port = ").append(node.managementPort()).append(" }")
                .append(nl);
        b.append("  resources {").append(nl);
        b.append("    memory-budget = ").append(s.memoryBytes()).append(nl);
        b.append("    uplink-mbps = ").append(num(s.uplinkMbps())).append(nl);
        b.append("    downlink-mbps = ").append(num(s.downlinkMbps())).append(nl);
        b.append("    compute-scale = ").append(num(s.computeScale())).append(nl);
        b.append("  }").append(nl);
        b.append("}").append(nl);
        b.append("fedpipe.trainer.threads = ").append(options.threadsPerNode()).append(nl);
        b.append("fedpipe.persistence.h2-file = ").append(q(journalFile().toString())).append(nl);
        options.extraConfig().forEach(line -> b.append(line).append(nl));
        return b.toString();
    }

    /** Creates every node's directories and writes its overlay. */
    public void write() throws IOException {
        Files.createDirectories(journalFile().getParent());
        for (Node n : nodes) {
            Files.createDirectories(n.dataDir());
            Files.writeString(n.overlay(), overlay(n), StandardCharsets.UTF_8);
        }
    }

    private static String q(String s) {
        return ConfigUtil.quoteString(s);
    }

    private static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v);
    }
}
