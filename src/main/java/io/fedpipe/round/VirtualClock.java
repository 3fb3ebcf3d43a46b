package io.fedpipe.round;

/**
 * Emulated time of a synchronous federated round on a heterogeneous cluster, from the compute time
 * measured on this machine and the bytes really sent:
 *
 * <pre>  t_n = c_n / scale_n + 8·down_n / downlink_n + 8·up_n / uplink_n</pre>
 *
 * with {@code c_n} the measured seconds of node n's local training, {@code scale_n} its declared
 * speed relative to this machine (DESIGN §5: a node at 0.25 takes 4× as long), bytes in bytes and
 * links in bit/s. A synchronous round ends when its slowest delivering node is done:
 * {@code T = max_n t_n}; the clock accumulates {@code T} over rounds. Every figure it produces is
 * <em>emulated</em>. Not thread-safe: one clock per simulation.
 */
public final class VirtualClock {

    /** A label for reports, so emulated times are never taken for measured ones. */
    public static final String LABEL = "emulated";

    private double elapsed;

    /** A node's emulated seconds for one round. */
    public static double nodeSeconds(double measuredComputeSeconds, long bytesDown, long bytesUp, Emulation e) {
        check(measuredComputeSeconds, bytesDown, bytesUp);
        return measuredComputeSeconds / e.computeScale() + 8.0 * bytesDown / e.downlinkBitsPerSec()
                + 8.0 * bytesUp / e.uplinkBitsPerSec();
    }

    /**
     * What a node that really trained for {@code measuredComputeSeconds} still has to wait before it
     * answers, so that its answer comes {@link #nodeSeconds} after its slices arrived (a cluster
     * trainer emulating a slower node and its links): {@code c·(1/scale − 1) + 8·down/downlink +
     * 8·up/uplink}. It equals {@code nodeSeconds − c} up to rounding.
     */
    public static double remainingSeconds(double measuredComputeSeconds, long bytesDown, long bytesUp, Emulation e) {
        check(measuredComputeSeconds, bytesDown, bytesUp);
        return measuredComputeSeconds * (1 / e.computeScale() - 1) + 8.0 * bytesDown / e.downlinkBitsPerSec()
                + 8.0 * bytesUp / e.uplinkBitsPerSec();
    }

    private static void check(double measuredComputeSeconds, long bytesDown, long bytesUp) {
        if (!(measuredComputeSeconds >= 0) || bytesDown < 0 || bytesUp < 0) {
            throw new IllegalArgumentException("compute seconds and bytes must be >= 0: " + measuredComputeSeconds
                    + " s, " + bytesDown + " B down, " + bytesUp + " B up");
        }
    }

    /** Advances the clock by a round that lasted {@code roundSeconds}; returns the new elapsed time. */
    public double advance(double roundSeconds) {
        if (!(roundSeconds >= 0) || !Double.isFinite(roundSeconds)) {
            throw new IllegalArgumentException("round seconds must be finite and >= 0: " + roundSeconds);
        }
        elapsed += roundSeconds;
        return elapsed;
    }

    /** Emulated seconds since the first round started. */
    public double elapsed() {
        return elapsed;
    }
}
