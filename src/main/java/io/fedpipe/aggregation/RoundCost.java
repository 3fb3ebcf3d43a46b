package io.fedpipe.aggregation;

/**
 * What one {@code aggregate} call cost the server, measured with {@link System#nanoTime()}, and
 * the float32 bytes it moved; see {@link RoundDiagnostics} for each field. Times are reported,
 * never relied on: they depend on the machine and its load.
 */
public record RoundCost(double aggregationMillis, double combineMillis, long bytesUp, long bytesDown) {

    /** For results not produced by an aggregation (a round in which nothing arrived). */
    public static final RoundCost NONE = new RoundCost(0, 0, 0, 0);
}
