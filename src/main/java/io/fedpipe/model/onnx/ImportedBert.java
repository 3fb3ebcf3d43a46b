package io.fedpipe.model.onnx;

import io.fedpipe.core.TransformerConfig;

import io.fedpipe.core.HostTensor;
import java.util.LinkedHashMap;
import java.util.Objects;

/**
 * A BERT encoder read from an ONNX file: its configuration and its weights as a Hugging Face
 * {@code BertModel} state dict (names and PyTorch layouts, linear weights {@code [out, in]}),
 * in state-dict order.
 *
 * @param config  hyper-parameters derived from the tensor shapes and the graph
 * @param weights the caller's own map; its tensors may share value arrays with the parsed graph only
 */
public record ImportedBert(TransformerConfig config, LinkedHashMap<String, HostTensor> weights) {

    public ImportedBert {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(weights, "weights");
    }

    /** Total number of weight elements (22,565,376 for all-MiniLM-L6-v2, which has no pooler). */
    public long parameterCount() {
        long n = 0;
        for (HostTensor t : weights.values()) {
            n += t.data().length;
        }
        return n;
    }
}
