package io.fedpipe.train;

import ai.djl.ndarray.NDArray;

/**
 * A training objective split at transformer-block boundaries, so that backpropagation can
 * run one block at a time ({@link Backprop#layerwise}).
 *
 * @param <B> the batch type
 */
public interface LayeredObjective<B> {

    int layers();

    /** Input of block 0. Never needs gradients: embeddings are frozen. */
    NDArray embed(B batch);

    /** Block {@code i}; must be deterministic given the same dropout seed. */
    NDArray block(int i, NDArray x, B batch, boolean training);

    /** Head and scalar loss on the output of the last block. */
    NDArray loss(NDArray top, B batch);

    /** Seeds dropout before each block so a recomputed block sees the same masks. */
    default boolean usesDropout() {
        return false;
    }

    /**
     * The same objective with another head and loss on top of the last block, e.g. with a
     * regulariser added; embeddings, blocks and dropout are delegated unchanged.
     */
    static <B> LayeredObjective<B> withLoss(LayeredObjective<B> inner,
            java.util.function.BiFunction<NDArray, B, NDArray> loss) {
        return new LayeredObjective<>() {
            @Override
            public int layers() {
                return inner.layers();
            }

            @Override
            public NDArray embed(B batch) {
                return inner.embed(batch);
            }

            @Override
            public NDArray block(int i, NDArray x, B batch, boolean training) {
                return inner.block(i, x, batch, training);
            }

            @Override
            public NDArray loss(NDArray top, B batch) {
                return loss.apply(top, batch);
            }

            @Override
            public boolean usesDropout() {
                return inner.usesDropout();
            }
        };
    }
}
