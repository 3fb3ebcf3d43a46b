package io.fedpipe.model;

import ai.djl.ndarray.NDArray;

/**
 * Keys and values of earlier positions, per layer, so that generation computes each new
 * token in O(length) instead of re-running the whole prefix. Arrays are {@code [B, heads, T, d]}
 * and live in the generation's scope.
 */
public final class KvCache {

    private final NDArray[] keys;
    private final NDArray[] values;
    private final long[] leftPads;
    private int length;

    public KvCache(int layers) {
        this(layers, null);
    }

    /**
     * A cache for a left-padded batch: row b starts with {@code leftPads[b]} padding tokens, so its
     * real tokens sit at positions 0, 1, … counted from the first real one (what the model saw
     * when trained), and the padding keys are masked by the caller.
     */
    public KvCache(int layers, long[] leftPads) {
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.leftPads = leftPads == null ? null : leftPads.clone();
    }

    /** Left padding per row, or null when no row is padded. */
    long[] leftPads() {
        return leftPads;
    }

    /**
     * Keeps, for each new row i, the cached keys and values of old row {@code rows[i]} (beam
     * search: the surviving beams and their parents). Only unpadded caches can be reordered.
     */
    public void reorder(long[] rows) {
        if (leftPads != null) {
            throw new IllegalStateException("a left-padded cache cannot be reordered");
        }
        for (int layer = 0; layer < keys.length; layer++) {
            if (keys[layer] != null) {
                keys[layer] = selectRows(keys[layer], rows);
                values[layer] = selectRows(values[layer], rows);
            }
        }
    }

    private static NDArray selectRows(NDArray x, long[] rows) {
        ai.djl.ndarray.types.Shape s = x.getShape();
        long rowSize = s.size() / s.get(0);
        NDArray flat = x.reshape(s.get(0), rowSize);
        NDArray index = x.getManager().create(rows);
        NDArray picked = ai.djl.nn.core.Embedding.embedding(index, flat, ai.djl.ndarray.types.SparseFormat.DENSE)
                .singletonOrThrow();
        long[] shape = s.getShape().clone();
        shape[0] = rows.length;
        return picked.reshape(new ai.djl.ndarray.types.Shape(shape));
    }

    /** Positions already cached. */
    public int length() {
        return length;
    }

    NDArray keys(int layer) {
        return keys[layer];
    }

    NDArray values(int layer) {
        return values[layer];
    }

    void put(int layer, NDArray k, NDArray v) {
        keys[layer] = k;
        values[layer] = v;
        if (layer == keys.length - 1) {
            length = Math.toIntExact(k.getShape().get(2));
        }
    }
}
