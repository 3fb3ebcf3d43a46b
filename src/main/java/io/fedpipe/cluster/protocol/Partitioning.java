package io.fedpipe.cluster.protocol;

import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.core.HostTensor;
import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.NodeRoundPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How a job's matrices are spread over its aggregator partitions ({@link JobProtocol#partitionOf};
 * the dense tensors, i.e. the head, in partition 0), as pure functions both sides use: an
 * aggregator restricts plans to its own matrices, a trainer merges the slices it was sent into one
 * assignment and splits its update back into one upload per partition.
 */
public final class Partitioning {

    private Partitioning() {}

    /** {@code plan} with only the matrices partition {@code partition} of {@code partitions} owns. */
    public static NodeRoundPlan restrict(NodeRoundPlan plan, int partition, int partitions) {
        Map<MatrixId, Integer> ranks = new TreeMap<>();
        plan.ranks().forEach((id, r) -> {
            if (JobProtocol.partitionOf(id, partitions) == partition) {
                ranks.put(id, r);
            }
        });
        return new NodeRoundPlan(plan.nodeId(), ranks, plan.steps(), plan.batchSize(), plan.bits());
    }

    /**
     * {@code update} as one part per partition: each part holds the adapters of the matrices that
     * partition owns; part 0 also holds the dense tensors. Every part keeps the node's weight, so
     * each partition averages with the same weights as one aggregator would.
     */
    public static List<NodeUpdate> split(NodeUpdate update, int partitions) {
        List<Map<MatrixId, PeftAdapters.Adapter>> adapters = new ArrayList<>();
        List<Map<MatrixId, Float>> scales = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            adapters.add(new TreeMap<>());
            scales.add(new TreeMap<>());
        }
        update.adapters().forEach((id, a) -> adapters.get(JobProtocol.partitionOf(id, partitions)).put(id, a));
        update.scales().forEach((id, s) -> scales.get(JobProtocol.partitionOf(id, partitions)).put(id, s));
        List<NodeUpdate> parts = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            parts.add(new NodeUpdate(update.nodeId(), update.weight(), adapters.get(p), scales.get(p),
                    p == 0 ? update.dense() : Map.of()));
        }
        return parts;
    }

    /**
     * One assignment from the slices of every partition ({@code slices.get(p)} from partition p):
     * each matrix takes its rank and starting adapter from the partition that owns it, steps, batch
     * and bits come from partition 0, the dense tensors from every slice (only partition 0 sends
     * any). Refuses slices of different rounds or nodes, and adapters sent by a partition that does
     * not own them.
     */
    public static NodeAssignment merge(List<NodeAssignment> slices) {
        if (slices.isEmpty()) {
            throw new IllegalArgumentException("no slices to merge");
        }
        int partitions = slices.size();
        NodeAssignment first = slices.get(0);
        Map<MatrixId, Integer> ranks = new TreeMap<>();
        Map<MatrixId, ScaledAdapter> adapters = new TreeMap<>();
        Map<String, HostTensor> dense = new TreeMap<>();
        for (int p = 0; p < partitions; p++) {
            NodeAssignment s = slices.get(p);
            if (s.round() != first.round() || !s.nodeId().equals(first.nodeId())) {
                throw new IllegalArgumentException("slice of partition " + p + " is for node " + s.nodeId() + " round "
                        + s.round() + ", expected node " + first.nodeId() + " round " + first.round());
            }
            final int partition = p;
            s.plan().ranks().forEach((id, r) -> {
                if (JobProtocol.partitionOf(id, partitions) == partition) {
                    ranks.put(id, r);
                }
            });
            for (Map.Entry<MatrixId, ScaledAdapter> e : s.adapters().entrySet()) {
                if (JobProtocol.partitionOf(e.getKey(), partitions) != p) {
                    throw new IllegalArgumentException("partition " + p + " sent an adapter for " + e.getKey()
                            + ", which partition " + JobProtocol.partitionOf(e.getKey(), partitions) + " owns");
                }
                adapters.put(e.getKey(), e.getValue());
            }
            dense.putAll(s.dense());
        }
        NodeRoundPlan p0 = first.plan();
        NodeRoundPlan plan = new NodeRoundPlan(p0.nodeId(), ranks, p0.steps(), p0.batchSize(), p0.bits());
        return new NodeAssignment(first.round(), plan, adapters, dense);
    }
}
