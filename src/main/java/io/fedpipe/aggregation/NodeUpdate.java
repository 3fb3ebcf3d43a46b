package io.fedpipe.aggregation;

import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.core.HostTensor;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one node delivered at the end of a round.
 *
 * <p>For each matrix it trained: its adapter ({@code a [r_n, in]}, {@code b [out, r_n]}) and the
 * LoRA scale {@code s_n} it trained with, so its update is {@code ΔW_n = s_n·B_n·A_n}
 * ({@code s_n = α/r_n} under PEFT's convention). {@code dense} holds tensors that are averaged as
 * they are (plain FedAvg): every weight under full fine-tuning, or a classification head under
 * LoRA. Contents are validated by the aggregation, which rejects bad entries with a reason instead
 * of throwing; this constructor only refuses missing parts.
 *
 * @param nodeId   the node's stable id
 * @param weight   its aggregation weight, normally its number of training examples |D_n|
 * @param adapters adapter per trained matrix
 * @param scales   LoRA scale per trained matrix
 * @param dense    tensors averaged directly, by name
 */
public record NodeUpdate(String nodeId, double weight, Map<MatrixId, PeftAdapters.Adapter> adapters,
        Map<MatrixId, Float> scales, Map<String, HostTensor> dense) {

    public NodeUpdate {
        if (nodeId == null || nodeId.isBlank()) {
            throw new IllegalArgumentException("a node update needs a node id");
        }
        adapters = copy(adapters, "adapters of node " + nodeId);
        scales = copy(scales, "scales of node " + nodeId);
        dense = dense == null ? Map.of() : copy(dense, "dense tensors of node " + nodeId);
    }

    /** A LoRA-only update. */
    public static NodeUpdate lora(String nodeId, double weight, Map<MatrixId, PeftAdapters.Adapter> adapters,
            Map<MatrixId, Float> scales) {
        return new NodeUpdate(nodeId, weight, adapters, scales, Map.of());
    }

    /** A full-weight update (the FT baseline). */
    public static NodeUpdate fullWeights(String nodeId, double weight, Map<String, HostTensor> weights) {
        return new NodeUpdate(nodeId, weight, Map.of(), Map.of(), weights);
    }

    private static <K extends Comparable<K>, V> Map<K, V> copy(Map<K, V> m, String what) {
        if (m == null) {
            throw new IllegalArgumentException(what + " are missing");
        }
        Map<K, V> out = new TreeMap<>();
        for (Map.Entry<K, V> e : m.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException(what + " contain a null entry");
            }
            out.put(e.getKey(), e.getValue());
        }
        return Collections.unmodifiableMap(out);
    }
}
