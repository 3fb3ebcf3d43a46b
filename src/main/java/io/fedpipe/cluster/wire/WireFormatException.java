package io.fedpipe.cluster.wire;

/**
 * A message that cannot go on the wire (an unregistered class inside it, or too many bytes) or
 * bytes that cannot be read back. Pekko logs it with the message class and drops that message;
 * the node keeps running.
 */
public final class WireFormatException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public WireFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
