package io.fedpipe.importance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.fedpipe.lora.LoraLinear;
import io.fedpipe.core.MatrixId;
import io.fedpipe.model.TransformerModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdaLoRA's importance of SVD-form adapters (Zhang et al. 2023, §3.2), per matrix.
 *
 * <p>For every parameter w of P, λ, Q the sensitivity is {@code I = |w·∂L/∂w|}; it is smoothed
 * as {@code Ī ← β₁Ī + (1−β₁)I} and its uncertainty as {@code Ū ← β₂Ū + (1−β₂)|I − Ī|}, and the
 * score is {@code s = Ī·Ū}. Singular triplet i scores
 * {@code S_i = s(λ_i) + mean_j s(P_ji) + mean_j s(Q_ij)}; a matrix scores {@code Σ_i S_i}.
 * Call {@link #update} after each backward pass and before the optimizer zeroes gradients.
 */
public final class SensitivityTracker implements AutoCloseable {

    private final TransformerModel model;
    private final float beta1;
    private final float beta2;
    private final NDManager manager;
    private final Map<MatrixId, NDArray[]> smoothed = new LinkedHashMap<>();
    private final Map<MatrixId, NDArray[]> uncertainty = new LinkedHashMap<>();
    private int updates;

    /** AdaLoRA's defaults are β₁ = β₂ = 0.85. */
    public SensitivityTracker(TransformerModel model, float beta1, float beta2) {
        this.model = model;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.manager = model.manager().newSubManager();
        for (MatrixId id : model.adaptedMatrices()) {
            LoraLinear l = model.linear(id);
            if (l.singularValues() == null) {
                throw new IllegalStateException(id + " is not in SVD form: call useSvdForm first");
            }
            List<NDArray> params = params(l);
            NDArray[] s = new NDArray[3];
            NDArray[] u = new NDArray[3];
            for (int k = 0; k < 3; k++) {
                s[k] = manager.zeros(params.get(k).getShape());
                u[k] = manager.zeros(params.get(k).getShape());
            }
            smoothed.put(id, s);
            uncertainty.put(id, u);
        }
    }

    private static List<NDArray> params(LoraLinear l) {
        return List.of(l.loraB(), l.singularValues(), l.loraA()); // P, λ, Q
    }

    /** Folds the gradients now on the adapters into the running scores; temporaries live in {@code scope}. */
    public void update(NDManager scope) {
        for (MatrixId id : smoothed.keySet()) {
            List<NDArray> params = params(model.linear(id));
            NDArray[] s = smoothed.get(id);
            NDArray[] u = uncertainty.get(id);
            for (int k = 0; k < 3; k++) {
                NDArray g = params.get(k).getGradient();
                g.attach(scope);
                NDArray sensitivity = g.mul(params.get(k)).abs();
                s[k].muli(beta1).addi(sensitivity.mul(1 - beta1));
                NDArray deviation = sensitivity.sub(s[k]).abs();
                u[k].muli(beta2).addi(deviation.muli(1 - beta2));
            }
        }
        updates++;
    }

    /** Importance per matrix: the sum of its singular triplets' scores. */
    public Map<MatrixId, Double> matrixScores() {
        Map<MatrixId, Double> out = new LinkedHashMap<>();
        for (MatrixId id : smoothed.keySet()) {
            NDArray[] s = smoothed.get(id);
            NDArray[] u = uncertainty.get(id);
            float[] p = product(s[0], u[0]);
            float[] l = product(s[1], u[1]);
            float[] q = product(s[2], u[2]);
            int r = l.length;
            int out0 = p.length / r;
            int in = q.length / r;
            double total = 0;
            for (int i = 0; i < r; i++) {
                double pMean = 0;
                for (int j = 0; j < out0; j++) {
                    pMean += p[j * r + i];
                }
                double qMean = 0;
                for (int j = 0; j < in; j++) {
                    qMean += q[i * in + j];
                }
                total += l[i] + pMean / out0 + qMean / in;
            }
            out.put(id, total);
        }
        return out;
    }

    private static float[] product(NDArray a, NDArray b) {
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        for (int i = 0; i < x.length; i++) {
            x[i] *= y[i];
        }
        return x;
    }

    public int updates() {
        return updates;
    }

    @Override
    public void close() {
        manager.close();
    }
}
