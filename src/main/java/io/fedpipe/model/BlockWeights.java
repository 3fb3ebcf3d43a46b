package io.fedpipe.model;

import io.fedpipe.core.HostTensor;
import io.fedpipe.core.LoraTarget;
import java.util.EnumMap;
import java.util.Map;

/**
 * One transformer block's weights in FedPipe's architecture-neutral layout: the six
 * linear layers by {@link LoraTarget}, and the two LayerNorms (for BERT the post-attention
 * and post-FFN norms; for GPT-2 {@code ln_1} and {@code ln_2}, applied before each sublayer).
 */
public record BlockWeights(
        Map<LoraTarget, LinearWeights> linears,
        HostTensor norm1Gain,
        HostTensor norm1Bias,
        HostTensor norm2Gain,
        HostTensor norm2Bias) {

    public BlockWeights {
        for (LoraTarget t : LoraTarget.values()) {
            if (!linears.containsKey(t)) {
                throw new IllegalArgumentException("block is missing its " + t.key() + " weights");
            }
        }
        linears = Map.copyOf(new EnumMap<>(linears));
    }

    public LinearWeights linear(LoraTarget t) {
        return linears.get(t);
    }
}
