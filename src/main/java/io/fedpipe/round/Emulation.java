package io.fedpipe.round;

/**
 * A node's declared, emulated resources (DESIGN §5): its speed relative to this machine and its
 * link speeds. Figures computed from them are emulated, not measured, and are labelled so.
 *
 * @param computeScale       speed relative to the machine that runs the emulation: at 0.25 a step
 *                           takes 4× the measured time; 1 is the real speed
 * @param uplinkBitsPerSec   node → aggregator
 * @param downlinkBitsPerSec aggregator → node
 */
public record Emulation(double computeScale, double uplinkBitsPerSec, double downlinkBitsPerSec) {

    /** Real speed and an unlimited link: the emulated time is the measured compute time. */
    public static final Emulation NONE = new Emulation(1, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);

    public Emulation {
        if (!(computeScale > 0) || !Double.isFinite(computeScale)) {
            throw new IllegalArgumentException("compute-scale must be positive and finite: " + computeScale);
        }
        if (!(uplinkBitsPerSec > 0) || !(downlinkBitsPerSec > 0)) {
            throw new IllegalArgumentException("link speeds must be positive: up " + uplinkBitsPerSec + ", down "
                    + downlinkBitsPerSec + " bit/s");
        }
    }

    /** Symmetric link in Mbit/s (10⁶ bit/s, as links are sold). */
    public static Emulation of(double computeScale, double linkMbitPerSec) {
        return new Emulation(computeScale, linkMbitPerSec * 1e6, linkMbitPerSec * 1e6);
    }
}
