package io.fedpipe.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;

/**
 * Computes the gradients of a {@link LayeredObjective}'s trainable parameters, in one of two
 * ways with identical results:
 *
 * <ul>
 *   <li>{@link #whole}: one autograd graph over the whole model. Autograd keeps every
 *       block's activations and every dequantized frozen weight until the end.
 *   <li>{@link #layerwise}: a forward pass without autograd that keeps only each block's
 *       input, then, from the top block down, one block recomputed under autograd and
 *       backpropagated with the gradient arriving from above (activation checkpointing per
 *       block, Chen et al. 2016). At most one block's graph, and one block's dequantized
 *       weights, are alive at a time: this is what makes a 4-bit base save memory during
 *       training, at the cost of a second forward pass through each block.
 * </ul>
 *
 * Only one gradient collector may be open per JVM (STACK.md rule 3): callers serialize.
 */
public final class Backprop {

    private Backprop() {}

    /** Loss value; gradients accumulate on the trainable parameters. */
    public static <B> float whole(LayeredObjective<B> objective, B batch, long dropoutSeed) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray x = objective.embed(batch);
            for (int i = 0; i < objective.layers(); i++) {
                seed(objective, dropoutSeed, i);
                x = objective.block(i, x, batch, true);
            }
            NDArray loss = objective.loss(x, batch);
            gc.backward(loss);
            return loss.getFloat();
        }
    }

    /** Same gradients as {@link #whole}, holding one block's graph at a time. */
    public static <B> float layerwise(LayeredObjective<B> objective, B batch, long dropoutSeed) {
        List<NDArray> inputs = new ArrayList<>(objective.layers());
        NDArray x = objective.embed(batch);
        for (int i = 0; i < objective.layers(); i++) {
            inputs.add(x);
            seed(objective, dropoutSeed, i);
            x = objective.block(i, x, batch, true);
        }
        x.setRequiresGradient(true);
        float lossValue;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = objective.loss(x, batch);
            gc.backward(loss);
            lossValue = loss.getFloat();
        }
        NDArray upstream = gradientOf(x);
        for (int i = objective.layers() - 1; i >= 0; i--) {
            NDArray in = inputs.get(i);
            boolean needInputGrad = i > 0;
            if (needInputGrad) {
                in.setRequiresGradient(true);
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                seed(objective, dropoutSeed, i);
                NDArray out = objective.block(i, in, batch, true);
                // Vector-Jacobian product with the upstream gradient, without building out·g.
                JniUtils.backward((PtNDArray) out, (PtNDArray) upstream, false, false);
            }
            if (needInputGrad) {
                upstream = gradientOf(in);
            }
            // The graph of block i is gone now; drop the saved input as soon as it is used.
            inputs.set(i, null);
        }
        return lossValue;
    }

    private static NDArray gradientOf(NDArray x) {
        NDArray g = x.getGradient();
        g.attach(x.getManager());
        return g;
    }

    private static <B> void seed(LayeredObjective<B> objective, long dropoutSeed, int layer) {
        if (objective.usesDropout()) {
            Engine.getInstance().setRandomSeed((int) (dropoutSeed * 1_000_003L + layer));
        }
    }
}
