package io.fedpipe.aggregation;

/**
 * Part of a delivered update that was left out of the aggregate, and why.
 *
 * @param nodeId the node that sent it
 * @param item   the matrix id or dense tensor name, or {@link #WHOLE_UPDATE} when the node's whole
 *               update was refused (duplicate id, invalid weight)
 * @param reason a sentence naming the problem and the expected value
 */
public record Rejection(String nodeId, String item, String reason) {

    public static final String WHOLE_UPDATE = "*";

    @Override
    public String toString() {
        return nodeId + " " + item + ": " + reason;
    }
}
