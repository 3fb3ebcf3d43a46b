package io.fedpipe.train;

import ai.djl.ndarray.NDArray;
import io.fedpipe.model.CausalLm;
import io.fedpipe.model.TransformerModel;

/** Next-token cross-entropy of a {@link CausalLm}, ignoring padding targets. */
public final class CausalLmObjective implements LayeredObjective<TokenBatch> {

    private final CausalLm lm;
    private final boolean dropout;
    // The causal mask of the current batch, built once in embed and shared by every block.
    private final java.util.Map<TokenBatch, NDArray> masks = new java.util.IdentityHashMap<>();

    public CausalLmObjective(CausalLm lm, boolean usesDropout) {
        this.lm = lm;
        this.dropout = usesDropout;
    }

    @Override
    public int layers() {
        return lm.decoder().layers();
    }

    @Override
    public NDArray embed(TokenBatch batch) {
        masks.clear();
        masks.put(batch, mask(batch));
        return lm.decoder().embed(batch.ids(), null, 0);
    }

    @Override
    public NDArray block(int i, NDArray x, TokenBatch batch, boolean training) {
        return lm.decoder().block(i, x, masks.computeIfAbsent(batch, CausalLmObjective::mask), null, training);
    }

    /** Right padding: the causal mask alone keeps real positions from seeing padding. */
    private static NDArray mask(TokenBatch batch) {
        int t = Math.toIntExact(batch.ids().getShape().get(1));
        return TransformerModel.causalMask(batch.ids().getManager(), t, 0);
    }

    @Override
    public NDArray loss(NDArray top, TokenBatch batch) {
        NDArray logits = lm.head(lm.decoder().finish(top));
        return CausalLm.loss(logits, batch.ids(), batch.attentionMask());
    }

    @Override
    public boolean usesDropout() {
        return dropout;
    }
}
