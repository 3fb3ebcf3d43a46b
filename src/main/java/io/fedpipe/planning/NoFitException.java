package io.fedpipe.planning;

/**
 * No configuration fits a node's memory and the policy says to fail: the message names the node,
 * its usable memory, the smallest configuration and the shortfall. An input error (the cluster
 * description asks for the impossible), hence an {@link IllegalArgumentException}.
 */
public final class NoFitException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String node;
    private final long shortfallBytes;

    NoFitException(String node, long shortfallBytes, String message) {
        super(message);
        this.node = node;
        this.shortfallBytes = shortfallBytes;
    }

    public String node() {
        return node;
    }

    public long shortfallBytes() {
        return shortfallBytes;
    }
}
