package io.fedpipe.aggregation;

/**
 * A node that was expected in a round but delivered nothing usable (timeout, crash, refused plan).
 * Strategies do not aggregate failures; they are carried into the result so a round's report
 * shows who was missing and why (the round protocol of Flower's {@code aggregate_fit}).
 */
public record Failure(String nodeId, String reason) {

    public Failure {
        if (nodeId == null || nodeId.isBlank()) {
            throw new IllegalArgumentException("a failure needs a node id");
        }
        reason = reason == null ? "unknown" : reason;
    }
}
