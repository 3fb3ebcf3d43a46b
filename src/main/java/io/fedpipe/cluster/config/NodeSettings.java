package io.fedpipe.cluster.config;

import io.fedpipe.cluster.protocol.NodeRole;
import io.fedpipe.config.ConfigReader;
import io.fedpipe.core.NodeResources;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fedpipe.cluster.wire.WireSettings;
import io.fedpipe.profile.MeasuredProfile;
import io.fedpipe.runtime.TrainerSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code fedpipe.node} settings of one node, read once from its layered config
 * ({@link NodeConfig}) and validated: every problem is one line naming its key.
 *
 * @param name           stable node name
 * @param clusterName    the actor system's name, equal on every node of a cluster
 * @param host           Artery host
 * @param port           Artery port (0: any free port, for tests)
 * @param seedNodes      nodes to join, at least one
 * @param roles          this node's roles, at least one
 * @param dataDir        private data (and the embedded journal); must exist on an edge node
 * @param resources      what the node offers for training
 * @param managementHost Pekko Management host
 * @param managementPort Pekko Management port (0: any free port)
 * @param trainer        the trainer's settings
 * @param wire           the wire format's limits
 * @param createH2Schema create the embedded H2 journal schema on start
 * @param journalUrl     the journal's JDBC URL; an H2 file path is made absolute (H2 refuses
 *                       paths implicitly relative to the working directory)
 * @param profile        the measured profile of {@code fedpipe.node.profile}, or null when none is set
 */
public record NodeSettings(String name, String clusterName, String host, int port, List<SeedNode> seedNodes,
        Set<NodeRole> roles, Path dataDir, NodeResources resources, String managementHost, int managementPort,
        TrainerSettings trainer, WireSettings wire, boolean createH2Schema, String journalUrl,
        MeasuredProfile profile) {

    private static final String P = "fedpipe.node.";
    private static final Pattern ACTOR_SYSTEM_NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_-]*");
    static final String JDBC_URL = "pekko-persistence-jdbc.shared-databases.fedpipe.db.url";

    public NodeSettings {
        seedNodes = List.copyOf(seedNodes);
        roles = Collections.unmodifiableSet(EnumSet.copyOf(roles));
    }

    /** Reads and validates; throws an {@link IllegalArgumentException} with one line per problem. */
    public static NodeSettings fromConfig(Config config) {
        ConfigReader r = ConfigReader.forSettings(config);
        String name = r.string(P + "name");
        String clusterName = r.string(P + "cluster-name");
        if (!clusterName.isEmpty() && !ACTOR_SYSTEM_NAME.matcher(clusterName).matches()) {
            r.error(P + "cluster-name", "may hold only letters, digits, '-' and '_', got '" + clusterName + "'");
        }
        String host = r.string(P + "host");
        int port = r.port(P + "port");

        List<SeedNode> seeds = new ArrayList<>();
        List<String> seedList = r.strings(P + "seed-nodes");
        for (String s : seedList) {
            try {
                seeds.add(SeedNode.parse(s));
            } catch (IllegalArgumentException e) {
                r.error(P + "seed-nodes", e.getMessage());
            }
        }
        if (seedList.isEmpty() && config.hasPath(P + "seed-nodes")) {
            r.error(P + "seed-nodes", "needs at least one host:port (this node's own address forms a new cluster)");
        }

        Set<NodeRole> roles = EnumSet.noneOf(NodeRole.class);
        List<String> roleList = r.strings(P + "roles");
        for (String s : roleList) {
            try {
                roles.add(NodeRole.parse(s));
            } catch (IllegalArgumentException e) {
                r.error(P + "roles", e.getMessage());
            }
        }
        if (roleList.isEmpty() && config.hasPath(P + "roles")) {
            r.error(P + "roles", "needs at least one of " + NodeRole.known());
        }

        Path dataDir = Path.of(r.string(P + "data-dir"));
        if (roles.contains(NodeRole.EDGE) && !Files.isDirectory(dataDir)) {
            r.error(P + "data-dir", "directory " + dataDir.toAbsolutePath().normalize()
                    + " does not exist (an edge node keeps its private data there)");
        }

        long memory = r.bytes(P + "resources.memory-budget");
        double up = r.positive(P + "resources.uplink-mbps");
        double down = r.positive(P + "resources.downlink-mbps");
        double scale = r.positiveAtMost(P + "resources.compute-scale", 1.0);

        String managementHost = r.string(P + "management.host");
        int managementPort = r.port(P + "management.port");
        if (managementPort != 0 && managementPort == port && managementHost.equals(host)) {
            r.error(P + "management.port", "must differ from " + P + "port (" + port + ")");
        }

        TrainerSettings trainer = null;
        try {
            trainer = TrainerSettings.fromConfig(config);
        } catch (IllegalArgumentException e) {
            r.error("fedpipe.trainer", e.getMessage());
        }
        WireSettings wire = null;
        try {
            wire = WireSettings.fromConfig(config);
        } catch (IllegalArgumentException e) {
            r.error(WireSettings.MAX_MESSAGE_BYTES, e.getMessage());
        }

        boolean createH2 = false;
        String url = "";
        try {
            createH2 = config.getBoolean("fedpipe.persistence.create-h2-schema");
            url = absoluteH2(config.getString(JDBC_URL));
            if (createH2 && !url.startsWith("jdbc:h2:")) {
                r.error("fedpipe.persistence.create-h2-schema", "is on but the journal is not H2 (" + url
                        + "); apply its schema with 'fedpipe db-schema' and turn this off");
            }
        } catch (com.typesafe.config.ConfigException e) {
            r.error("fedpipe.persistence", e.getMessage());
        }

        MeasuredProfile profile = null;
        try {
            String profileFile = config.hasPath(P + "profile") ? config.getString(P + "profile") : "";
            if (!profileFile.isBlank()) {
                profile = MeasuredProfile.read(Path.of(profileFile));
            }
        } catch (IllegalArgumentException | com.typesafe.config.ConfigException e) {
            r.error(P + "profile", e.getMessage());
        }

        r.throwIfAny();
        return new NodeSettings(name, clusterName, host, port, seeds, roles, dataDir,
                new NodeResources(memory, up, down, scale, trainer.effectiveThreads()),
                managementHost, managementPort, trainer, wire, createH2, url, profile);
    }

    /** {@code jdbc:h2:file:data/x;...} becomes {@code jdbc:h2:file:/abs/data/x;...}; other URLs are kept. */
    static String absoluteH2(String url) {
        String prefix = "jdbc:h2:file:";
        if (!url.startsWith(prefix)) {
            return url;
        }
        int semi = url.indexOf(';');
        String file = semi < 0 ? url.substring(prefix.length()) : url.substring(prefix.length(), semi);
        if (file.startsWith("~") || Path.of(file).isAbsolute()) {
            return url;
        }
        return prefix + Path.of(file).toAbsolutePath().normalize() + (semi < 0 ? "" : url.substring(semi));
    }

    public boolean has(NodeRole role) {
        return roles.contains(role);
    }

    /**
     * The Pekko settings that follow from these: the cluster roles (validated here rather than
     * substituted in application.conf, so a comma-separated environment value works too) and the
     * journal URL with an absolute H2 path.
     * Put it in front of the node's config when creating the actor system.
     */
    public Config pekkoOverrides() {
        List<String> keys = roles.stream().map(NodeRole::key).toList();
        return ConfigFactory.parseMap(Map.of("pekko.cluster.roles", keys, JDBC_URL, journalUrl));
    }

    /** The config an actor system for this node starts with. */
    public Config systemConfig(Config nodeConfig) {
        return pekkoOverrides().withFallback(nodeConfig);
    }
}
