package io.fedpipe.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;

/**
 * AdamW (Loshchilov &amp; Hutter 2019): Adam moments with bias correction and decoupled
 * weight decay {@code p ← p − lr·(m̂/(√v̂ + ε) + λ·p)}, after clipping the global gradient
 * norm (Pascanu et al. 2013).
 *
 * <p>A step whose gradients are not finite is skipped (moments untouched) and reported, so
 * one bad batch cannot poison the adapters. Gradients are zeroed after every step: DJL does
 * not do it for a manual loop (STACK.md rule 2).
 */
public final class AdamW {

    private final List<NDArray> params;
    private final NDArray[] m;
    private final NDArray[] v;
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private final float maxGradNorm;
    private int t;

    /**
     * @param params      trainable arrays (they require gradients); moments live in their managers
     * @param maxGradNorm clip threshold for the global L2 norm; {@code <= 0} disables clipping
     */
    public AdamW(List<NDArray> params, float beta1, float beta2, float eps, float weightDecay, float maxGradNorm) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException("nothing to optimize: no trainable parameters");
        }
        this.params = List.copyOf(params);
        this.m = new NDArray[params.size()];
        this.v = new NDArray[params.size()];
        for (int i = 0; i < params.size(); i++) {
            NDArray p = params.get(i);
            m[i] = p.zerosLike();
            v[i] = p.zerosLike();
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.maxGradNorm = maxGradNorm;
    }

    /** The usual defaults for LoRA fine-tuning: β = (0.9, 0.999), ε = 1e-8, λ = 0.01, clip 1.0. */
    public static AdamW withDefaults(List<NDArray> params) {
        return new AdamW(params, 0.9f, 0.999f, 1e-8f, 0.01f, 1.0f);
    }

    /**
     * Applies one update with learning rate {@code lr}; temporaries live in {@code scope}.
     *
     * @return the global gradient norm before clipping (NaN or infinite: the step was skipped)
     */
    public double step(NDManager scope, float lr) {
        NDArray[] grads = new NDArray[params.size()];
        double sq = 0;
        for (int i = 0; i < grads.length; i++) {
            grads[i] = params.get(i).getGradient();
            grads[i].attach(scope);
            sq += grads[i].pow(2).sum().getFloat();
        }
        double norm = Math.sqrt(sq);
        if (!Double.isFinite(norm)) {
            zeroGradients();
            return norm;
        }
        float clip = maxGradNorm > 0 && norm > maxGradNorm ? (float) (maxGradNorm / (norm + 1e-6)) : 1f;
        t++;
        double c1 = 1 - Math.pow(beta1, t);
        double c2 = 1 - Math.pow(beta2, t);
        // lr·m̂/(√v̂ + ε) = (lr/c1)·m / (√v/√c2 + ε)
        float stepSize = (float) (lr / c1);
        float invSqrtC2 = (float) (1 / Math.sqrt(c2));
        for (int i = 0; i < grads.length; i++) {
            NDArray p = params.get(i);
            NDArray g = clip == 1f ? grads[i] : grads[i].mul(clip);
            m[i].muli(beta1).addi(g.mul(1 - beta1));
            v[i].muli(beta2).addi(g.square().muli(1 - beta2));
            NDArray denom = v[i].sqrt();
            denom.attach(scope);
            NDArray update = m[i].div(denom.muli(invSqrtC2).addi(eps));
            update.attach(scope);
            if (weightDecay > 0) {
                p.muli(1 - lr * weightDecay);
            }
            p.subi(update.muli(stepSize));
        }
        zeroGradients();
        return norm;
    }

    private void zeroGradients() {
        for (NDArray p : params) {
            // DJL has no public zero_grad for one array; this is the engine's own.
            JniUtils.zeroGrad((PtNDArray) p);
        }
    }

    public int steps() {
        return t;
    }

    /** The first and second moments, in parameter order (for a checkpoint; do not modify). */
    public List<NDArray> firstMoments() {
        return List.of(m);
    }

    public List<NDArray> secondMoments() {
        return List.of(v);
    }

    /**
     * Continues from a checkpoint: {@code steps} updates done, moments as saved.
     *
     * @throws IllegalArgumentException if the saved moments do not match the parameters
     */
    public void restore(int steps, List<float[]> first, List<float[]> second) {
        if (first.size() != m.length || second.size() != v.length) {
            throw new IllegalArgumentException("checkpoint has moments for " + first.size() + " parameters, the model "
                    + m.length);
        }
        for (int i = 0; i < m.length; i++) {
            long n = m[i].size();
            if (first.get(i).length != n || second.get(i).length != n) {
                throw new IllegalArgumentException("checkpoint moments of parameter " + i + " have "
                        + first.get(i).length + " values, the parameter " + n);
            }
            m[i].set(first.get(i));
            v[i].set(second.get(i));
        }
        this.t = steps;
    }
}
