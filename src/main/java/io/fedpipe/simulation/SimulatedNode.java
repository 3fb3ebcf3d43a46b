package io.fedpipe.simulation;

import io.fedpipe.core.MatrixId;
import io.fedpipe.round.Emulation;
import io.fedpipe.round.NodeRoundPlan;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * One simulated node: its fixed plan (uniform rank on every target; steps 0 when a planner
 * decides) and emulated resources. Not {@code io.fedpipe.core.NodeResources}: a simulated node may
 * leave its links and memory unlimited, and it has no engine threads of its own.
 *
 * @param rank     LoRA rank on every target; 0 under full fine-tuning (no adapters) or with a planner
 * @param memoryMb memory budget in MB (10⁶ bytes), or infinity
 */
public record SimulatedNode(String name, int rank, int steps, int batch, String bits, double computeScale,
        double uplinkMbps, double downlinkMbps, double memoryMb) {

    /** Its fixed plan for a round: {@code rank} on each of {@code matrices}, or no adapters when rank is 0. */
    public NodeRoundPlan plan(Collection<MatrixId> matrices) {
        if (steps == 0) {
            throw new IllegalStateException("node " + name + " has no fixed plan: the planner decides it");
        }
        Map<MatrixId, Integer> ranks = new TreeMap<>();
        if (rank > 0) {
            matrices.forEach(id -> ranks.put(id, rank));
        }
        return new NodeRoundPlan(name, ranks, steps, batch, bits);
    }

    public Emulation emulation() {
        return new Emulation(computeScale, uplinkMbps * 1e6, downlinkMbps * 1e6);
    }
}
