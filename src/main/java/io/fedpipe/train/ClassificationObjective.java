package io.fedpipe.train;

import ai.djl.ndarray.NDArray;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.model.TransformerModel;
import java.util.IdentityHashMap;
import java.util.Map;

/** Cross-entropy of a {@link SequenceClassifier} on mean-pooled encoder states. */
public final class ClassificationObjective implements LayeredObjective<TokenBatch> {

    private final SequenceClassifier classifier;
    private final boolean dropout;
    // Additive padding masks, built once per batch and shared by every block.
    private final Map<TokenBatch, NDArray> masks = new IdentityHashMap<>();

    public ClassificationObjective(SequenceClassifier classifier, boolean usesDropout) {
        this.classifier = classifier;
        this.dropout = usesDropout;
    }

    @Override
    public int layers() {
        return classifier.encoder().layers();
    }

    @Override
    public NDArray embed(TokenBatch batch) {
        masks.clear();
        masks.put(batch, TransformerModel.paddingMask(batch.attentionMask()));
        return classifier.encoder().embed(batch.ids(), null, 0);
    }

    @Override
    public NDArray block(int i, NDArray x, TokenBatch batch, boolean training) {
        NDArray mask = masks.computeIfAbsent(batch, b -> TransformerModel.paddingMask(b.attentionMask()));
        return classifier.encoder().block(i, x, mask, null, training);
    }

    @Override
    public NDArray loss(NDArray top, TokenBatch batch) {
        NDArray logits = classifier.head(SequenceClassifier.meanPool(top, batch.attentionMask()));
        return SequenceClassifier.loss(logits, batch.labels());
    }

    @Override
    public boolean usesDropout() {
        return dropout;
    }
}
