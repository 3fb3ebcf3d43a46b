package io.fedpipe.train;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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

    /**
     * Loss value; gradients accumulate on the trainable parameters. Each block still runs in
     * its own sub-manager: autograd keeps what its backward formulas need, and closing the
     * block's scope frees every other intermediate (DJL would otherwise hold them all).
     */
    public static <B> float whole(LayeredObjective<B> objective, B batch, long dropoutSeed) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray x = objective.embed(batch);
            for (int i = 0; i < objective.layers(); i++) {
                x = scopedBlock(objective, i, x, batch, dropoutSeed);
            }
            NDArray loss = objective.loss(x, batch);
            gc.backward(loss);
            return loss.getFloat();
        }
    }

    /**
     * Same gradients as {@link #whole}, holding one block's graph at a time.
     *
     * <p>DJL frees an array only when its manager closes, and an operation's result joins the
     * manager of the array it was called on. So each block runs in its own sub-manager with its
     * input temporarily attached to it: the block's intermediates and dequantized weights die
     * with that sub-manager, and only its output (forward) or input gradient (backward) is
     * moved out to the step's manager.
     */
    @SuppressWarnings("try") // the collector in the backward loop only scopes grad mode; backward is direct
    public static <B> float layerwise(LayeredObjective<B> objective, B batch, long dropoutSeed) {
        List<NDArray> inputs = new ArrayList<>(objective.layers());
        NDArray x = objective.embed(batch);
        NDManager step = x.getManager();
        for (int i = 0; i < objective.layers(); i++) {
            inputs.add(x);
            x = scopedBlock(objective, i, x, batch, dropoutSeed);
        }
        x.setRequiresGradient(true);
        float lossValue;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = objective.loss(x, batch);
            gc.backward(loss);
            lossValue = loss.getFloat();
        }
        NDArray upstream = gradientOf(x, step);
        x.close();
        for (int i = objective.layers() - 1; i >= 0; i--) {
            NDArray in = inputs.get(i);
            boolean needInputGrad = i > 0;
            try (NDManager blockScope = step.newSubManager()) {
                in.tempAttach(blockScope);
                if (needInputGrad) {
                    in.setRequiresGradient(true);
                }
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    seed(objective, dropoutSeed, i);
                    NDArray out = objective.block(i, in, batch, true);
                    try {
                        // Vector-Jacobian product with the upstream gradient, without building out·g.
                        JniUtils.backward((PtNDArray) out, (PtNDArray) upstream, false, false);
                    } catch (EngineException e) {
                        // The first block without adapters, on a frozen embedding, has nothing to
                        // differentiate (importance may select no matrix there). Asking the tensor
                        // first is no option: DJL's grad-fn query crashes on a tensor without one.
                        if (needInputGrad || !String.valueOf(e.getMessage()).contains("does not require grad")) {
                            throw e;
                        }
                    }
                }
                upstream.close();
                upstream = needInputGrad ? gradientOf(in, step) : null;
            }
            // Block i's graph died with its scope; its saved input is not needed any more either.
            in.close();
            inputs.set(i, null);
        }
        return lossValue;
    }

    /** Block {@code i} in its own sub-manager; only its output moves to the input's manager. */
    private static <B> NDArray scopedBlock(LayeredObjective<B> objective, int i, NDArray x, B batch, long dropoutSeed) {
        NDManager owner = x.getManager();
        try (NDManager blockScope = owner.newSubManager()) {
            x.tempAttach(blockScope);
            seed(objective, dropoutSeed, i);
            NDArray out = objective.block(i, x, batch, true);
            out.attach(owner);
            return out;
        }
    }

    private static NDArray gradientOf(NDArray x, NDManager owner) {
        NDArray g = x.getGradient();
        g.attach(owner);
        return g;
    }

    private static <B> void seed(LayeredObjective<B> objective, long dropoutSeed, int layer) {
        if (objective.usesDropout()) {
            Engine.getInstance().setRandomSeed((int) (dropoutSeed * 1_000_003L + layer));
        }
    }
}
