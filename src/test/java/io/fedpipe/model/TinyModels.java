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

    public static TransformerConfig bert() {
        return new TransformerConfig(TransformerConfig.Family.BERT, 61, 32, 2, 4, 64, 40, 2, 1e-12);
    }
}
