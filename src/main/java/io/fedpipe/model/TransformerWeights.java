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
 * @param positionEmbeddings learned positions, null for Llama (rotary)
 * @param finalNormGain     GPT-2's {@code ln_f} or Llama's {@code model.norm}, null for BERT
 * @param lmHead            Llama's untied {@code lm_head} {@code [vocab, d]}, null when tied
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
        HostTensor finalNormBias,
        HostTensor lmHead) {

    public TransformerWeights {
        blocks = List.copyOf(blocks);
        if (blocks.size() != config.layers()) {
            throw new IllegalArgumentException("config has " + config.layers() + " layers but weights have " + blocks.size());
        }
        requireShape("word embeddings", wordEmbeddings, config.vocabSize(), config.hidden());
        boolean llama = config.family() == TransformerConfig.Family.LLAMA;
        if (llama) {
            if (positionEmbeddings != null) {
                throw new IllegalArgumentException("a Llama model has rotary positions, not position embeddings");
            }
            requireVector("final norm", finalNormGain, config.hidden());
            if (config.tiedEmbeddings() != (lmHead == null)) {
                throw new IllegalArgumentException(config.tiedEmbeddings()
                        ? "the config ties the LM head to the embeddings, but an lm_head is given"
                        : "the config has an untied LM head, but lm_head is missing");
            }
            if (lmHead != null) {
                requireShape("lm_head", lmHead, config.vocabSize(), config.hidden());
            }
        } else {
            requireShape("position embeddings", positionEmbeddings, config.maxPositions(), config.hidden());
            if (lmHead != null) {
                throw new IllegalArgumentException(config.family() + " ties its LM head; no lm_head is expected");
            }
        }
        for (int i = 0; i < blocks.size(); i++) {
            BlockWeights b = blocks.get(i);
            for (LoraTarget t : config.targets()) {
                int[] shape = config.linearShape(t);
                LinearWeights l = b.linear(t);
                if (l == null) {
                    throw new IllegalArgumentException("layer " + i + " " + t.key() + " missing");
                }
                requireShape("layer " + i + " " + t.key(), l.weight(), shape[0], shape[1]);
                if (llama && (l.bias() != null) != config.hasBias(t)) {
                    throw new IllegalArgumentException("layer " + i + " " + t.key() + (l.bias() == null
                            ? " has no bias but the config says it has one" : " has a bias the config does not have"));
                }
            }
            if (!config.targets().contains(LoraTarget.GATE) && b.linear(LoraTarget.GATE) != null) {
                throw new IllegalArgumentException("layer " + i + ": " + config.family() + " has no MLP gate");
            }
            requireVector("layer " + i + " norm 1", b.norm1Gain(), config.hidden());
            requireVector("layer " + i + " norm 2", b.norm2Gain(), config.hidden());
        }
    }

    /** A BERT or GPT-2 model's weights (the LM head, if any, is tied). */
    public TransformerWeights(TransformerConfig config, HostTensor wordEmbeddings, HostTensor positionEmbeddings,
            HostTensor typeEmbeddings, HostTensor embeddingNormGain, HostTensor embeddingNormBias,
            List<BlockWeights> blocks, HostTensor finalNormGain, HostTensor finalNormBias) {
        this(config, wordEmbeddings, positionEmbeddings, typeEmbeddings, embeddingNormGain, embeddingNormBias, blocks,
                finalNormGain, finalNormBias, null);
    }

    private static void requireVector(String what, HostTensor t, long n) {
        if (t == null) {
            throw new IllegalArgumentException(what + " missing");
        }
        if (t.rank() != 1 || t.dim(0) != n) {
            throw new IllegalArgumentException(what + ": shape " + t + " but the config needs [" + n + "]");
        }
    }

    /** The LM head {@code [vocab, d]}: the untied {@code lm_head}, or the token embeddings. */
    public HostTensor outputEmbeddings() {
        return lmHead != null ? lmHead : wordEmbeddings;
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
        long n = wordEmbeddings.data().length + count(positionEmbeddings) + count(lmHead);
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
        boolean llama = c.family() == TransformerConfig.Family.LLAMA;
        List<BlockWeights> blocks = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            Map<LoraTarget, LinearWeights> linears = new EnumMap<>(LoraTarget.class);
            for (LoraTarget t : c.targets()) {
                int[] shape = c.linearShape(t);
                linears.put(t, new LinearWeights(normal(r, 0.02, shape[0], shape[1]),
                        c.hasBias(t) ? zeros(shape[0]) : null));
            }
            blocks.add(llama ? new BlockWeights(linears, ones(h), null, ones(h), null)
                    : new BlockWeights(linears, ones(h), zeros(h), ones(h), zeros(h)));
        }
        if (llama) {
            HostTensor embeddings = normal(r, 0.02, c.vocabSize(), h);
            return new TransformerWeights(c, embeddings, null, null, null, null, blocks, ones(h), null,
                    c.tiedEmbeddings() ? null : normal(r, 0.02, c.vocabSize(), h));
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
