package io.fedpipe.simulation;

import ai.djl.ndarray.NDManager;
import io.fedpipe.local.AdaptedClassifiers;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.tokenize.TextTokenizer;
import java.io.IOException;

/**
 * A pre-trained encoder with a fresh classification head ({@link AdaptedClassifiers}), its MiniLM
 * tokenizer (truncating at {@code maxLength}) and the NDManager its rounds run in, closed together.
 */
public final class MiniLmClassifiers implements AutoCloseable {

    private final TextTokenizer tokenizer;
    private final NDManager manager;
    private final AdaptedClassifiers models;

    private MiniLmClassifiers(TextTokenizer tokenizer, NDManager manager, AdaptedClassifiers models) {
        this.tokenizer = tokenizer;
        this.manager = manager;
        this.models = models;
    }

    /** {@code model} as {@link PretrainedModels#load} names it; the head's initialisation from {@code seed}. */
    public static MiniLmClassifiers open(String model, int maxLength, int classes, float alpha, long seed)
            throws IOException {
        TextTokenizer tokenizer = TextTokenizer.miniLm(maxLength, TextTokenizer.Overflow.TRUNCATE);
        NDManager manager = NDManager.newBaseManager();
        try {
            return new MiniLmClassifiers(tokenizer, manager,
                    new AdaptedClassifiers(PretrainedModels.load(model), tokenizer, classes, alpha, seed));
        } catch (RuntimeException e) {
            manager.close();
            tokenizer.close();
            throw e;
        }
    }

    public AdaptedClassifiers models() {
        return models;
    }

    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
        tokenizer.close();
    }
}
