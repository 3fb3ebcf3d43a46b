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
    private int length;

    public KvCache(int layers) {
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
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
