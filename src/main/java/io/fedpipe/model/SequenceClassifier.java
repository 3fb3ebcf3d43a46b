package io.fedpipe.model;

import io.fedpipe.core.HostTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.Random;

/**
 * An encoder with a trainable classification head on the mean of its token states
 * (the pooling all-MiniLM-L6-v2 was trained with), as PEFT's {@code modules_to_save}.
 */
public final class SequenceClassifier implements AutoCloseable {

    private final TransformerModel encoder;
    private final NDArray headWeight;
    private final NDArray headBias;

    /** A fresh head {@code [classes, d]}, Xavier-uniform initialised from {@code seed}. */
    public SequenceClassifier(TransformerModel encoder, int classes, long seed) {
        this(encoder, initialHeadWeight(encoder.config().hidden(), classes, seed), new HostTensor(new long[] {classes}, new float[classes]));
    }

    public SequenceClassifier(TransformerModel encoder, HostTensor weight, HostTensor bias) {
        if (weight.rank() != 2 || weight.dim(1) != encoder.config().hidden() || bias.dim(0) != weight.dim(0)) {
            throw new IllegalArgumentException("classifier head " + weight + "/" + bias + " does not fit hidden size "
                    + encoder.config().hidden());
        }
        this.encoder = encoder;
        NDManager m = encoder.manager();
        this.headWeight = m.create(weight.data(), new Shape(weight.shape()));
        this.headBias = m.create(bias.data(), new Shape(bias.shape()));
        headWeight.setRequiresGradient(true);
        headBias.setRequiresGradient(true);
    }

    /**
     * The head weight {@code [classes, hidden]} a fresh classifier gets from {@code seed}
     * (Xavier-uniform; the bias starts at zero), so a federated job can give every node the same
     * starting head without building an encoder.
     */
    public static HostTensor initialHeadWeight(int hidden, int classes, long seed) {
        if (classes < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes: " + classes);
        }
        Random r = new Random(seed ^ 0x5DEECE66DL);
        double bound = Math.sqrt(6.0 / (hidden + classes));
        float[] w = new float[classes * hidden];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        }
        return new HostTensor(new long[] {classes, hidden}, w);
    }

    public TransformerModel encoder() {
        return encoder;
    }

    public int classes() {
        return Math.toIntExact(headWeight.getShape().get(0));
    }

    public NDArray headWeight() {
        return headWeight;
    }

    public NDArray headBias() {
        return headBias;
    }

    /** Mean of the token states over real (unmasked) tokens: {@code [B, d]}. */
    public static NDArray meanPool(NDArray hidden, NDArray attentionMask) {
        NDArray m = attentionMask.toType(DataType.FLOAT32, false).expandDims(2);
        return hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(1e-9f));
    }

    /** Class logits {@code [B, classes]} from pooled states. */
    public NDArray head(NDArray pooled) {
        return Linear.linear(pooled, headWeight, headBias).singletonOrThrow();
    }

    /** Full forward: logits {@code [B, classes]}. */
    public NDArray logits(NDArray ids, NDArray typeIds, NDArray attentionMask, boolean training) {
        NDArray h = encoder.forward(ids, typeIds, TransformerModel.paddingMask(attentionMask), null, training);
        return head(meanPool(h, attentionMask));
    }

    /** Mean cross-entropy of {@code logits [B, C]} against int64 {@code labels [B]}. */
    public static NDArray loss(NDArray logits, NDArray labels) {
        long b = logits.getShape().get(0);
        return logits.logSoftmax(-1).get(new NDIndex().addAllDim().addPickDim(labels.reshape(b, 1))).neg().mean();
    }

    /** Adapters and the head: everything fine-tuning updates. */
    public java.util.List<NDArray> trainableParameters() {
        java.util.List<NDArray> params = new java.util.ArrayList<>(encoder.adapterParameters());
        params.add(headWeight);
        params.add(headBias);
        return params;
    }

    public HostTensor hostHeadWeight() {
        return new HostTensor(headWeight.getShape().getShape(), headWeight.toFloatArray());
    }

    public HostTensor hostHeadBias() {
        return new HostTensor(headBias.getShape().getShape(), headBias.toFloatArray());
    }

    @Override
    public void close() {
        encoder.close();
    }
}
