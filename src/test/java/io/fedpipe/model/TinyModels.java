package io.fedpipe.model;

/** Small configurations that run in milliseconds, for tests. */
public final class TinyModels {

    private TinyModels() {}

    public static TransformerConfig gpt2() {
        return new TransformerConfig(TransformerConfig.Family.GPT2, 61, 32, 2, 4, 64, 40, 0, 1e-5);
    }

    public static TransformerConfig bert() {
        return new TransformerConfig(TransformerConfig.Family.BERT, 61, 32, 2, 4, 64, 40, 2, 1e-12);
    }
}
