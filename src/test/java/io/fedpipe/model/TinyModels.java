package io.fedpipe.model;

import io.fedpipe.core.TransformerConfig;
import io.fedpipe.core.HostTensor;
/** Small configurations that run in milliseconds, for tests. */
public final class TinyModels {

    private TinyModels() {}

    public static TransformerConfig gpt2() {
        return new TransformerConfig(TransformerConfig.Family.GPT2, 61, 32, 2, 4, 64, 40, 0, 1e-5);
    }

    /** Gives every adapter's B random values so that adapters really change outputs under test. */
    public static void randomizeAdapters(TransformerModel model, long seed) {
        java.util.Random r = new java.util.Random(seed);
        for (var id : model.adaptedMatrices()) {
            var l = model.linear(id);
            float[] b = new float[l.out() * l.rank()];
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (r.nextGaussian() * 0.1);
            }
            l.setAdapter(l.hostA(), new HostTensor(new long[] {l.out(), l.rank()}, b));
        }
    }

    /**
     * A Llama: 61 tokens, d = 32, 2 layers, 4 query heads of 8, MLP 48, 40 positions; with
     * {@code attentionBias} all of q/k/v/o carry biases (Llama's attention_bias).
     */
    public static TransformerConfig llama(int kvHeads, io.fedpipe.core.RopeScaling scaling, boolean attentionBias,
            boolean tied) {
        return new TransformerConfig(TransformerConfig.Family.LLAMA, 61, 32, 2, 4, 48, 40, 0, 1e-6, kvHeads, 10000,
                scaling, tied, attentionBias, attentionBias);
    }

    /**
     * Every tensor random: norm gains around 1, everything else (biases included) N(0, std²). With
     * std 0.15 instead of the 0.02 of {@link TransformerWeights#random}, attention is far from
     * uniform, so a wrong position or head mapping shows in the logits.
     */
    public static TransformerWeights randomWeights(TransformerConfig c, long seed, double std) {
        java.util.Random r = new java.util.Random(seed);
        java.util.Map<String, HostTensor> hf = new java.util.LinkedHashMap<>();
        for (var e : HfWeightNames.toHf(TransformerWeights.random(c, seed)).entrySet()) {
            float[] d = new float[e.getValue().data().length];
            boolean norm = e.getKey().endsWith("norm.weight") || e.getKey().matches(".*ln_\\w+\\.weight");
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (norm ? 1 + 0.1 * r.nextGaussian() : std * r.nextGaussian());
            }
            hf.put(e.getKey(), new HostTensor(e.getValue().shape(), d));
        }
        return HfWeightNames.fromHf(c, hf);
    }

    public static TransformerConfig bert() {
        return new TransformerConfig(TransformerConfig.Family.BERT, 61, 32, 2, 4, 64, 40, 2, 1e-12);
    }
}
