package io.fedpipe.bench;

import io.fedpipe.lora.LoraConfig;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.core.TransformerConfig;

/**
 * Useful floating-point work of one LoRA training step of an encoder classifier, counted
 * honestly: forward of every matmul; backward computes input gradients only (frozen weights
 * get none) plus the adapters' weight gradients; the first block's frozen q/k/v need no
 * input gradient because the embeddings are frozen. Recomputation for memory is NOT
 * counted: it is overhead, and shows up as a lower MFU.
 */
public final class StepFlops {

    private StepFlops() {}

    public static double perStep(TransformerConfig c, LoraConfig lora, int batch, int seq, int classes) {
        double d = c.hidden();
        double f = c.intermediate();
        double tokens = (double) batch * seq;
        double total = 0;
        for (int layer = 0; layer < c.layers(); layer++) {
            double kv = c.kvWidth();
            double ffnMatrices = c.targets().contains(LoraTarget.GATE) ? 3 : 2;
            double baseLinear = 2 * (2 * d * d + 2 * d * kv + ffnMatrices * d * f); // q, o, k, v, (gate,) up, down
            double attention = 2 * 2 * seq * d;               // QKᵀ and P·V, per token
            double lora1 = 0;
            for (LoraTarget t : c.targets()) {
                int r = lora.rank(new MatrixId(layer, t));
                if (r > 0) {
                    double out = c.linearShape(t)[0];
                    double in = c.linearShape(t)[1];
                    lora1 += 2 * r * (in + out);
                }
            }
            double forward = baseLinear + attention + lora1;
            double backwardBase = layer == 0 ? baseLinear - 2 * (d * d + 2 * d * kv) : baseLinear; // no input grad for q, k, v
            // Attention backward: dQ, dK from dS, dP and dV from dO: twice the forward.
            // Adapters: input and weight gradients: twice their forward.
            double backward = backwardBase + 2 * attention + 2 * lora1;
            total += tokens * (forward + backward);
        }
        double head = 2.0 * batch * d * classes * 3; // forward, input grad, weight grad
        return total + head;
    }

    /**
     * FLOPs of one causal-LM LoRA step: the blocks as {@link #perStep} counts them (every linear
     * by its own shape, so GQA's narrower k/v and Llama's gate are included), plus the LM head over
     * every position, forward and input gradient ({@code 2·2·B·T·d·V}; the frozen head has no
     * weight gradient).
     */
    public static double perCausalLmStep(TransformerConfig c, LoraConfig lora, int batch, int seq) {
        double blocksAndNoHead = perStep(c, lora, batch, seq, 0);
        return blocksAndNoHead + 2.0 * 2.0 * batch * seq * c.hidden() * c.vocabSize();
    }
}
