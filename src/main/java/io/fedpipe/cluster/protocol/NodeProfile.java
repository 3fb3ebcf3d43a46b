package io.fedpipe.cluster.protocol;

import io.fedpipe.round.Emulation;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * What a node tells the scheduler about itself when it joins: its roles and declared resources
 * (DESIGN.md §3 stage 0; measured step times come later with the profile run). Sent on the wire
 * and persisted in the scheduler's journal, so it stays plain data.
 *
 * @param nodeId       the node's stable name
 * @param roles        its roles, at least one
 * @param memoryBytes  memory budget for training
 * @param uplinkMbps   upload speed, Mbit/s
 * @param downlinkMbps download speed, Mbit/s
 * @param computeScale share of its real speed it runs at (1 = real; below 1 is emulated, DESIGN.md §5)
 * @param threads      intra-op threads of its engine
 * @param measured     its measured speed ({@code fedpipe.node.profile}), or null: the scheduler's
 *                     device preset stands for it
 */
public record NodeProfile(String nodeId, Set<NodeRole> roles, long memoryBytes, double uplinkMbps,
        double downlinkMbps, double computeScale, int threads, Measured measured) {

    /**
     * The planner device a node's profile run fitted ({@code profile.MeasuredDevice}), as plain numbers.
     *
     * @param fp32Tflops            effective FP32 rate of a LoRA step (mfu 1)
     * @param halfUtilizationTokens batch·seq at which half of that rate is reached
     * @param slowdown              per base format (config name), step time against FP32
     */
    public record Measured(double fp32Tflops, double halfUtilizationTokens, Map<String, Double> slowdown) {
        public Measured {
            if (!(fp32Tflops > 0) || !Double.isFinite(fp32Tflops) || !(halfUtilizationTokens >= 0)
                    || !Double.isFinite(halfUtilizationTokens) || slowdown == null || slowdown.isEmpty()) {
                throw new IllegalArgumentException("a measured profile needs a positive rate, h >= 0 and slowdowns: "
                        + fp32Tflops + ", " + halfUtilizationTokens + ", " + slowdown);
            }
            slowdown = Map.copyOf(slowdown);
        }
    }

    /** A node described by its declared resources only. */
    public NodeProfile(String nodeId, Set<NodeRole> roles, long memoryBytes, double uplinkMbps, double downlinkMbps,
            double computeScale, int threads) {
        this(nodeId, roles, memoryBytes, uplinkMbps, downlinkMbps, computeScale, threads, null);
    }

    public NodeProfile {
        if (nodeId == null || nodeId.isBlank()) {
            throw new IllegalArgumentException("a node profile needs a node id");
        }
        if (roles == null || roles.isEmpty()) {
            throw new IllegalArgumentException("node " + nodeId + " has no role");
        }
        if (memoryBytes <= 0) {
            throw new IllegalArgumentException("node " + nodeId + ": memory budget must be positive: " + memoryBytes);
        }
        if (!(uplinkMbps > 0) || !(downlinkMbps > 0) || !Double.isFinite(uplinkMbps) || !Double.isFinite(downlinkMbps)) {
            throw new IllegalArgumentException("node " + nodeId + ": link speeds must be positive: up " + uplinkMbps
                    + ", down " + downlinkMbps + " Mbit/s");
        }
        if (!(computeScale > 0) || computeScale > 1) {
            throw new IllegalArgumentException("node " + nodeId + ": compute scale must be in (0, 1]: " + computeScale);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("node " + nodeId + ": threads must be >= 1: " + threads);
        }
        roles = Collections.unmodifiableSet(EnumSet.copyOf(roles));
    }

    /** The node's declared speed and links as the emulation's figures (Mbit/s are 10⁶ bit/s). */
    public Emulation emulation() {
        return new Emulation(computeScale, uplinkMbps * 1e6, downlinkMbps * 1e6);
    }

    public boolean has(NodeRole role) {
        return roles.contains(role);
    }
}
