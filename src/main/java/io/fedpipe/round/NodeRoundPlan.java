package io.fedpipe.round;

import io.fedpipe.local.FullFineTuneLocalRound;
import io.fedpipe.local.ClassifierLocalRound;
import io.fedpipe.core.MatrixId;
import io.fedpipe.quant.QuantFormat;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one node does in one round: the LoRA rank of each matrix it adapts (none under full
 * fine-tuning), its number of local optimizer steps, its batch size and the storage of its base
 * (frozen under LoRA; fp32 under full fine-tuning). This is the per-node row of
 * a {@code io.fedpipe.planning.Plan}, kept as a plain record so the round needs nothing from the
 * planner (a fixed setting, e.g. a homogeneous baseline, is just a list of these).
 *
 * @param nodeId    the node's stable id
 * @param ranks     LoRA rank per trained matrix; a matrix not listed gets no adapter on this node.
 *                  Empty: no adapters at all, the plan of full fine-tuning ({@link FullFineTuneLocalRound});
 *                  a LoRA round ({@link ClassifierLocalRound}) refuses it
 * @param steps     local optimizer steps
 * @param batchSize examples per step
 * @param bits      frozen-base storage ({@code fp32}, {@code int8}, {@code nf4}, ...)
 */
public record NodeRoundPlan(String nodeId, Map<MatrixId, Integer> ranks, int steps, int batchSize, String bits) {

    public NodeRoundPlan {
        if (nodeId == null || nodeId.isBlank()) {
            throw new IllegalArgumentException("a node plan needs a node id");
        }
        if (ranks == null) {
            throw new IllegalArgumentException("plan of node " + nodeId + " has no ranks (give an empty map for"
                    + " full fine-tuning)");
        }
        for (Map.Entry<MatrixId, Integer> e : ranks.entrySet()) {
            if (e.getValue() == null || e.getValue() <= 0) {
                throw new IllegalArgumentException("plan of node " + nodeId + ": rank of " + e.getKey()
                        + " must be positive, got " + e.getValue());
            }
        }
        if (steps <= 0) {
            throw new IllegalArgumentException("plan of node " + nodeId + ": steps must be positive, got " + steps);
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("plan of node " + nodeId + ": batch must be positive, got " + batchSize);
        }
        try {
            bits = QuantFormat.parse(bits).configName();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("plan of node " + nodeId + ": " + e.getMessage(), e);
        }
        ranks = Collections.unmodifiableMap(new TreeMap<>(ranks));
    }
}
