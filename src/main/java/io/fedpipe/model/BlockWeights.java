package io.fedpipe.model;

import io.fedpipe.core.HostTensor;
import io.fedpipe.core.LoraTarget;
import java.util.EnumMap;
import java.util.Map;

/**
 * One transformer block's weights in FedPipe's architecture-neutral layout: the linear layers
 * by {@link LoraTarget} (six; seven with a Llama gate), and the two norms (for BERT the
 * post-attention and post-FFN LayerNorms; for GPT-2 {@code ln_1} and {@code ln_2}, applied
 * before each sublayer; for Llama the RMSNorms {@code input_layernorm} and
 * {@code post_attention_layernorm}, which have gains and no biases).
 */
public record BlockWeights(
        Map<LoraTarget, LinearWeights> linears,
        HostTensor norm1Gain,
        HostTensor norm1Bias,
        HostTensor norm2Gain,
        HostTensor norm2Bias) {

    public BlockWeights {
        for (LoraTarget t : LoraTarget.values()) {
            // The gate exists only in gated (Llama) MLPs; TransformerWeights checks it per family.
            if (t != LoraTarget.GATE && !linears.containsKey(t)) {
                throw new IllegalArgumentException("block is missing its " + t.key() + " weights");
            }
        }
        linears = Map.copyOf(new EnumMap<>(linears));
    }

    public LinearWeights linear(LoraTarget t) {
        return linears.get(t);
    }
}
