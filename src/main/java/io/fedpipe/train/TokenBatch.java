package io.fedpipe.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * A right-padded batch of token sequences on the device: ids and attention mask
 * {@code [B, T]} (int64), and optional labels {@code [B]}. T is the longest sequence.
 */
public record TokenBatch(NDArray ids, NDArray attentionMask, NDArray labels, int realTokens) {

    /**
     * @param sequences token ids per example (already truncated by the tokenizer, which reports it)
     * @param labels    class per example, or null for language modelling
     * @param padId     id written into padding positions (masked out everywhere)
     */
    public static TokenBatch of(NDManager scope, List<long[]> sequences, int[] labels, long padId) {
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        int b = sequences.size();
        int t = 0;
        for (long[] s : sequences) {
            if (s.length == 0) {
                throw new IllegalArgumentException("empty token sequence in batch");
            }
            t = Math.max(t, s.length);
        }
        long[] ids = new long[b * t];
        long[] mask = new long[b * t];
        int real = 0;
        for (int i = 0; i < b; i++) {
            long[] s = sequences.get(i);
            java.util.Arrays.fill(ids, i * t, (i + 1) * t, padId);
            System.arraycopy(s, 0, ids, i * t, s.length);
            java.util.Arrays.fill(mask, i * t, i * t + s.length, 1L);
            real += s.length;
        }
        NDArray labelArr = null;
        if (labels != null) {
            long[] l = new long[b];
            for (int i = 0; i < b; i++) {
                l[i] = labels[i];
            }
            labelArr = scope.create(l);
        }
        return new TokenBatch(scope.create(ids, new Shape(b, t)), scope.create(mask, new Shape(b, t)), labelArr, real);
    }

    public int size() {
        return Math.toIntExact(ids.getShape().get(0));
    }
}
