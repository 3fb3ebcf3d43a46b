package io.fedpipe.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import io.fedpipe.core.DenseWeight;
import io.fedpipe.core.FrozenWeight;
import io.fedpipe.core.HostTensor;
import java.util.Random;

/**
 * A linear layer {@code y = x·Wᵀ + b + (α/r)·(drop(x)·Aᵀ)·Bᵀ} with a frozen base W (in any
 * storage format) and a trainable low-rank update.
 *
 * <p>A is initialised with Kaiming-uniform rows as in the LoRA reference code and B with
 * zeros, so a fresh adapter leaves the model unchanged. Only A and B ever require
 * gradients. {@link #merge()} folds the update into W so inference runs the plain layer.
 */
public final class LoraLinear implements AutoCloseable {

    private FrozenWeight weight;
    private final NDArray bias;
    private final int in;
    private final int out;
    private int rank;
    private final float scale;
    private final float dropout;
    private NDArray a;
    private NDArray b;
    // Owned by the adapter's manager: a Number would be freed under the autograd graph.
    private NDArray scaleTensor;
    // SVD form (AdaLoRA): ΔW = scale·B·diag(λ)·A with B ≈ P, A ≈ Q; null in plain LoRA form.
    private NDArray lambda;

    /**
     * @param manager owns the adapter arrays (the model's long-lived manager)
     * @param weight  the frozen base, {@code [out, in]}; this layer takes ownership
     * @param bias    frozen bias {@code [out]} or null
     * @param rank    adapter rank, 0 for none
     * @param scale   α / r
     * @param dropout adapter input dropout while training
     * @param random  seeds A's initialisation
     */
    public LoraLinear(NDManager manager, FrozenWeight weight, NDArray bias, int rank, float scale, float dropout,
            Random random) {
        Shape s = weight.shape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("a linear weight is 2-D [out, in], got " + s);
        }
        this.weight = weight;
        this.bias = bias;
        this.out = Math.toIntExact(s.get(0));
        this.in = Math.toIntExact(s.get(1));
        this.rank = rank;
        this.scale = scale;
        this.dropout = dropout;
        if (rank > 0) {
            // Kaiming-uniform with a = sqrt(5), as nn.Linear and LoRA's reference use: bound = 1/sqrt(in).
            double bound = 1.0 / Math.sqrt(in);
            float[] init = new float[rank * in];
            for (int i = 0; i < init.length; i++) {
                init[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
            }
            this.a = manager.create(init, new Shape(rank, in));
            this.b = manager.zeros(new Shape(out, rank));
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            this.scaleTensor = manager.create(scale);
        }
    }

    /** Applies the layer to {@code x [..., in]}; results live in x's manager. */
    public NDArray forward(NDArray x, boolean training) {
        NDManager scope = x.getManager();
        NDArray y = Linear.linear(x, weight.materialize(scope), bias).singletonOrThrow();
        if (rank == 0) {
            return y;
        }
        NDArray h = training && dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
        // Scale the r-wide intermediate rather than the out-wide result: r << out.
        NDArray low = Linear.linear(h, a).singletonOrThrow();
        low = lambda == null ? low.muli(scaleTensor) : low.mul(lambda).muli(scaleTensor);
        return y.addi(Linear.linear(low, b).singletonOrThrow());
    }

    /**
     * Folds {@code scale·B·A} into the base weight, which becomes dense float32, and drops the
     * adapter: afterwards the layer has exactly the base layer's parameters and cost.
     */
    public void merge() {
        if (rank == 0) {
            return;
        }
        HostTensor merged = LoraMath.merge(weight.toHost(), hostA(), hostB(), scale);
        NDManager manager = a.getManager();
        weight.close();
        weight = DenseWeight.of(manager, merged);
        a.close();
        b.close();
        scaleTensor.close();
        if (lambda != null) {
            lambda.close();
            lambda = null;
        }
        a = null;
        b = null;
        scaleTensor = null;
        rank = 0;
    }

    /**
     * Switches the adapter to AdaLoRA's SVD form {@code ΔW = scale·P·diag(λ)·Q} (Zhang et al.
     * 2023): P (kept in B) and Q (kept in A) random normal with std 0.02, the singular values λ
     * zero, so the layer is still unchanged. λ is trainable; its sensitivity and those of the
     * rows of Q and columns of P score each singular triplet.
     */
    public void useSvdForm(Random random) {
        if (rank == 0) {
            throw new IllegalStateException("this layer has no adapter");
        }
        a.set(gaussian(random, rank * in, 0.02));
        b.set(gaussian(random, out * rank, 0.02));
        if (lambda == null) {
            lambda = a.getManager().zeros(new Shape(rank));
            lambda.setRequiresGradient(true);
        } else {
            lambda.set(new float[rank]);
        }
    }

    private static float[] gaussian(Random random, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        return v;
    }

    /** AdaLoRA's singular values λ {@code [r]}, or null in plain LoRA form. */
    public NDArray singularValues() {
        return lambda;
    }

    public int rank() {
        return rank;
    }

    public int in() {
        return in;
    }

    public int out() {
        return out;
    }

    public float scale() {
        return scale;
    }

    /** Trainable A {@code [r, in]}, or null without an adapter. */
    public NDArray loraA() {
        return a;
    }

    /** Trainable B {@code [out, r]}, or null without an adapter. */
    public NDArray loraB() {
        return b;
    }

    public FrozenWeight weight() {
        return weight;
    }

    public NDArray bias() {
        return bias;
    }

    public HostTensor hostA() {
        return new HostTensor(a.getShape().getShape(), a.toFloatArray());
    }

    /** B as a plain LoRA factor: in SVD form its columns are scaled by λ, so B·A is the same update. */
    public HostTensor hostB() {
        float[] values = b.toFloatArray();
        if (lambda != null) {
            float[] l = lambda.toFloatArray();
            for (int i = 0; i < values.length; i++) {
                values[i] *= l[i % rank];
            }
        }
        return new HostTensor(b.getShape().getShape(), values);
    }

    /** Replaces the adapter values (e.g. with aggregated global adapters); shapes must match. */
    public void setAdapter(HostTensor newA, HostTensor newB) {
        if (rank == 0) {
            throw new IllegalStateException("this layer has no adapter");
        }
        LoraMath.requireShape("lora_A", newA, rank, in);
        LoraMath.requireShape("lora_B", newB, out, rank);
        a.set(newA.data());
        b.set(newB.data());
        if (lambda != null) {
            // Plain factors carry the whole update: back to the plain LoRA form.
            lambda.close();
            lambda = null;
        }
    }

    @Override
    public void close() {
        weight.close();
        if (bias != null) {
            bias.close();
        }
        if (a != null) {
            a.close();
            b.close();
            scaleTensor.close();
        }
        if (lambda != null) {
            lambda.close();
        }
    }
}
