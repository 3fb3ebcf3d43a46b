package io.fedpipe.core;

/**
 * What a node offers for training (DESIGN.md §5).
 *
 * @param memoryBytes  memory budget the planner must respect
 * @param uplinkMbps   upload speed, Mbit/s
 * @param downlinkMbps download speed, Mbit/s
 * @param computeScale share of the real speed (1 = real; 0.25 emulates a node 4x slower)
 * @param threads      intra-op threads of the engine ({@code fedpipe.trainer.threads}, 0 resolved to the cores)
 */
public record NodeResources(long memoryBytes, double uplinkMbps, double downlinkMbps, double computeScale, int threads) {

    public NodeResources {
        if (memoryBytes <= 0 || !(uplinkMbps > 0) || !(downlinkMbps > 0) || !(computeScale > 0) || computeScale > 1
                || threads < 1) {
            throw new IllegalArgumentException("node resources out of range: memory " + memoryBytes + " bytes, up "
                    + uplinkMbps + ", down " + downlinkMbps + " Mbit/s, compute scale " + computeScale
                    + ", threads " + threads);
        }
    }

    /** True when this node only pretends to be slower than it is (reported as emulated). */
    public boolean emulated() {
        return computeScale < 1;
    }
}
