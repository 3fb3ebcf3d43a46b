package io.fedpipe.model;

import io.fedpipe.core.TransformerConfig;
import io.fedpipe.core.HostTensor;
import io.fedpipe.core.LoraTarget;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * All weights of a transformer on the host, in FedPipe's layout (see {@link HfWeightNames}
 * for the mapping to and from Hugging Face checkpoints).
 *
 * @param typeEmbeddings   BERT token-type embeddings, null for GPT-2
 * @param embeddingNormGain BERT's LayerNorm after the embeddings, null for GPT-2
 * @param finalNormGain     GPT-2's {@code ln_f}, null for BERT
 */
public record TransformerWeights(
        TransformerConfig config,
        HostTensor wordEmbeddings,
        HostTensor positionEmbeddings,
        HostTensor typeEmbeddings,
        HostTensor embeddingNormGain,
        HostTensor embeddingNormBias,
        List<BlockWeights> blocks,
        HostTensor finalNormGain,
        HostTensor finalNormBias) {

    public TransformerWeights {
        blocks = List.copyOf(blocks);
        if (blocks.size() != config.layers()) {
            throw new IllegalArgumentException("config has " + config.layers() + " layers but weights have " + blocks.size());
        }
        requireShape("word embeddings", wordEmbeddings, config.vocabSize(), config.hidden());
        requireShape("position embeddings", positionEmbeddings, config.maxPositions(), config.hidden());
        for (int i = 0; i < blocks.size(); i++) {
            BlockWeights b = blocks.get(i);
            int h = config.hidden();
            int f = config.intermediate();
            for (LoraTarget t : List.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O)) {
                requireShape("layer " + i + " " + t.key(), b.linear(t).weight(), h, h);
            }
            requireShape("layer " + i + " ffn_in", b.linear(LoraTarget.FFN_IN).weight(), f, h);
            requireShape("layer " + i + " ffn_out", b.linear(LoraTarget.FFN_OUT).weight(), h, f);
        }
    }

    private static void requireShape(String what, HostTensor t, long rows, long cols) {
        if (t == null) {
            throw new IllegalArgumentException(what + " missing");
        }
        if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
            throw new IllegalArgumentException(what + ": shape " + t + " but the config needs [" + rows + ", " + cols + "]");
        }
    }

    /** Total parameter count (shared tied embeddings counted once). */
    public long parameterCount() {
        long n = wordEmbeddings.data().length + positionEmbeddings.data().length;
        n += count(typeEmbeddings) + count(embeddingNormGain) + count(embeddingNormBias)
                + count(finalNormGain) + count(finalNormBias);
        for (BlockWeights b : blocks) {
            for (LinearWeights l : b.linears().values()) {
                n += count(l.weight()) + count(l.bias());
            }
            n += count(b.norm1Gain()) + count(b.norm1Bias()) + count(b.norm2Gain()) + count(b.norm2Bias());
        }
        return n;
    }

    private static long count(HostTensor t) {
        return t == null ? 0 : t.data().length;
    }

    /**
     * Randomly initialised weights (normal, std 0.02, as GPT-2 and BERT initialise), for
     * models the project pre-trains itself and for tests.
     */
    public static TransformerWeights random(TransformerConfig c, long seed) {
        Random r = new Random(seed);
        int h = c.hidden();
        int f = c.intermediate();
        List<BlockWeights> blocks = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            Map<LoraTarget, LinearWeights> linears = new EnumMap<>(LoraTarget.class);
            for (LoraTarget t : LoraTarget.values()) {
                int out = t == LoraTarget.FFN_IN ? f : h;
                int in = t == LoraTarget.FFN_OUT ? f : h;
                linears.put(t, new LinearWeights(normal(r, 0.02, out, in), zeros(out)));
            }
            blocks.add(new BlockWeights(linears, ones(h), zeros(h), ones(h), zeros(h)));
        }
        boolean bert = c.family() == TransformerConfig.Family.BERT;
        return new TransformerWeights(
                c,
                normal(r, 0.02, c.vocabSize(), h),
                normal(r, 0.01, c.maxPositions(), h),
                bert ? normal(r, 0.02, c.typeVocabSize(), h) : null,
                bert ? ones(h) : null,
                bert ? zeros(h) : null,
                blocks,
                bert ? null : ones(h),
                bert ? null : zeros(h));
    }

    static HostTensor normal(Random r, double std, int rows, int cols) {
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (r.nextGaussian() * std);
        }
        return new HostTensor(new long[] {rows, cols}, d);
    }

    static HostTensor zeros(int n) {
        return new HostTensor(new long[] {n}, new float[n]);
    }

    static HostTensor ones(int n) {
        float[] d = new float[n];
        java.util.Arrays.fill(d, 1f);
        return new HostTensor(new long[] {n}, d);
    }
}
