package io.fedpipe.cluster.protocol;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The roles a node can take in the cluster (DESIGN.md §2); the config and Pekko use the lower-case key. */
public enum NodeRole {
    /** Holds private data and runs a trainer. */
    EDGE,
    /** Hosts aggregator shards. */
    AGGREGATOR,
    /** May host the scheduler singleton. */
    SCHEDULER,
    /** Accepts jobs from cluster clients. */
    GATEWAY;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role with this key, or an error listing the known ones. */
    public static NodeRole parse(String key) {
        for (NodeRole r : values()) {
            if (r.key().equals(key)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown role '" + key + "' (known: " + known() + ")");
    }

    public static String known() {
        return Arrays.stream(values()).map(NodeRole::key).collect(Collectors.joining(", "));
    }
}
