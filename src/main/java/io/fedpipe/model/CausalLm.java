package io.fedpipe.model;

import io.fedpipe.core.TransformerConfig;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;

/**
 * A decoder (GPT-2 or Llama family) with its LM head: next-token logits, the causal-LM loss,
 * and greedy generation with or without a KV cache ({@link Generator} adds batches and beams).
 */
public final class CausalLm {

    private final TransformerModel decoder;

    public CausalLm(TransformerModel decoder) {
        if (!decoder.config().causal()) {
            throw new IllegalArgumentException("a causal LM needs a decoder (GPT-2 or Llama), got " + decoder.config().family());
        }
        this.decoder = decoder;
    }

    public TransformerModel decoder() {
        return decoder;
    }

    /** Logits {@code [B, T, vocab]} of the tokens following each position. */
    public NDArray logits(NDArray ids, KvCache cache, boolean training) {
        int cached = cache == null ? 0 : cache.length();
        int t = Math.toIntExact(ids.getShape().get(1));
        NDArray mask = TransformerModel.causalMask(ids.getManager(), t, cached);
        NDArray h = decoder.forward(ids, null, mask, cache, training);
        return head(h);
    }

    /** Applies the LM head (tied or not) to final hidden states. */
    public NDArray head(NDArray hidden) {
        return Linear.linear(hidden, decoder.outputEmbeddings()).singletonOrThrow();
    }

    /**
     * Mean next-token cross-entropy over positions whose target is not padding.
     *
     * @param logits {@code [B, T, V]} for inputs {@code ids[:, :T]}
     * @param ids    {@code [B, T]} tokens; position t is scored on ids[:, t+1]
     * @param mask   {@code [B, T]} 1 for real tokens, 0 for padding (or null)
     */
    public static NDArray loss(NDArray logits, NDArray ids, NDArray mask) {
        Shape s = logits.getShape();
        long b = s.get(0);
        long t = s.get(1);
        long v = s.get(2);
        NDArray predict = logits.get(new NDIndex(":, :-1, :")).reshape(b * (t - 1), v);
        NDArray targets = ids.get(new NDIndex(":, 1:")).reshape(b * (t - 1));
        NDArray nll = predict.logSoftmax(-1).get(new NDIndex().addAllDim().addPickDim(targets.reshape(b * (t - 1), 1)))
                .reshape(b * (t - 1)).neg();
        if (mask == null) {
            return nll.mean();
        }
        NDArray weight = mask.get(new NDIndex(":, 1:")).reshape(b * (t - 1)).toType(DataType.FLOAT32, false);
        return nll.mul(weight).sum().div(weight.sum().maximum(1f));
    }

    /**
     * Greedy continuation of one prompt.
     *
     * @param useCache true: one new position per step with a KV cache; false: re-run the whole prefix
     * @return the generated ids (prompt excluded)
     */
    public long[] generate(NDManager parent, long[] prompt, int newTokens, boolean useCache) {
        long[] out = new long[newTokens];
        try (NDManager scope = parent.newSubManager()) {
            KvCache cache = useCache ? new KvCache(decoder.layers()) : null;
            long[] seq = prompt.clone();
            NDArray input = scope.create(prompt, new Shape(1, prompt.length));
            for (int i = 0; i < newTokens; i++) {
                NDArray logits = logits(useCache ? input : scope.create(seq, new Shape(1, seq.length)), cache, false);
                long next = logits.get(new NDIndex("0, -1, :")).argMax().toType(DataType.INT64, false).getLong();
                out[i] = next;
                seq = java.util.Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = next;
                input = scope.create(new long[] {next}, new Shape(1, 1));
            }
        }
        return out;
    }
}
