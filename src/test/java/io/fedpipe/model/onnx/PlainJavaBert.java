package io.fedpipe.model.onnx;

import io.fedpipe.core.TransformerConfig;

import io.fedpipe.core.HostTensor;
import java.util.Arrays;
import java.util.Map;

/**
 * A reference BERT encoder forward pass in plain Java doubles, written for clarity, not speed,
 * from Hugging Face {@code BertModel} weights ({@code [out, in]} linear layout).
 *
 * <p>It exists to check other implementations (the ONNX import, the DJL encoder) without
 * sharing code with them. Per layer (Devlin et al. 2019; Vaswani et al. 2017):
 * {@code a = LN(x + Wo·MHA(x) + bo)}, {@code y = LN(a + W2·GELU(W1·a + b1) + b2)}, with
 * attention {@code softmax(QK^T / sqrt(d_head) + mask)·V} per head, the mask adding
 * {@code float32 min} to padded keys as Hugging Face does, and the exact GELU
 * {@code x/2·(1 + erf(x/sqrt 2))} (Hendrycks &amp; Gimpel 2016). Position ids are
 * {@code 0..seq-1}. Returns {@code last_hidden_state}.
 */
public final class PlainJavaBert {

    private static final double MASKED = -Float.MAX_VALUE;

    private final TransformerConfig config;
    private final Map<String, HostTensor> weights;

    public PlainJavaBert(TransformerConfig config, Map<String, HostTensor> weights) {
        this.config = config;
        this.weights = weights;
    }

    /** {@code last_hidden_state} for a batch; all arrays are {@code [batch][seq]}. */
    public double[][][] forward(long[][] inputIds, long[][] attentionMask, long[][] tokenTypeIds) {
        double[][][] out = new double[inputIds.length][][];
        for (int b = 0; b < inputIds.length; b++) {
            out[b] = forward(inputIds[b], attentionMask[b], tokenTypeIds[b]);
        }
        return out;
    }

    /** {@code last_hidden_state} of one sequence, {@code [seq][hidden]}. */
    public double[][] forward(long[] inputIds, long[] attentionMask, long[] tokenTypeIds) {
        if (inputIds.length != attentionMask.length || inputIds.length != tokenTypeIds.length) {
            throw new IllegalArgumentException("ids, mask and token types differ in length");
        }
        double[][] x = embed(inputIds, tokenTypeIds);
        for (int layer = 0; layer < config.layers(); layer++) {
            x = encoderLayer("encoder.layer." + layer + ".", x, attentionMask);
        }
        return x;
    }

    private double[][] embed(long[] ids, long[] types) {
        int hidden = config.hidden();
        float[] words = w("embeddings.word_embeddings.weight");
        float[] positions = w("embeddings.position_embeddings.weight");
        float[] typeTable = w("embeddings.token_type_embeddings.weight");
        double[][] x = new double[ids.length][hidden];
        for (int t = 0; t < ids.length; t++) {
            for (int h = 0; h < hidden; h++) {
                x[t][h] = (double) words[(int) ids[t] * hidden + h] + positions[t * hidden + h]
                        + typeTable[(int) types[t] * hidden + h];
            }
        }
        return layerNorm(x, "embeddings.LayerNorm");
    }

    private double[][] encoderLayer(String p, double[][] x, long[] mask) {
        double[][] context = selfAttention(p + "attention.self.", x, mask);
        double[][] attended = layerNorm(add(linear(context, p + "attention.output.dense"), x),
                p + "attention.output.LayerNorm");
        double[][] inner = linear(attended, p + "intermediate.dense");
        for (double[] row : inner) {
            for (int i = 0; i < row.length; i++) {
                row[i] = gelu(row[i]);
            }
        }
        return layerNorm(add(linear(inner, p + "output.dense"), attended), p + "output.LayerNorm");
    }

    private double[][] selfAttention(String p, double[][] x, long[] mask) {
        double[][] q = linear(x, p + "query");
        double[][] k = linear(x, p + "key");
        double[][] v = linear(x, p + "value");
        int seq = x.length;
        int headDim = config.headDim();
        double scale = 1.0 / Math.sqrt(headDim);
        double[][] context = new double[seq][config.hidden()];
        double[] scores = new double[seq];
        for (int head = 0; head < config.heads(); head++) {
            int offset = head * headDim;
            for (int i = 0; i < seq; i++) {
                for (int j = 0; j < seq; j++) {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) {
                        dot += q[i][offset + d] * k[j][offset + d];
                    }
                    scores[j] = dot * scale + (mask[j] == 0 ? MASKED : 0);
                }
                softmaxInPlace(scores);
                for (int j = 0; j < seq; j++) {
                    for (int d = 0; d < headDim; d++) {
                        context[i][offset + d] += scores[j] * v[j][offset + d];
                    }
                }
            }
        }
        return context;
    }

    private double[][] linear(double[][] x, String prefix) {
        HostTensor weight = weights.get(prefix + ".weight");
        float[] bias = w(prefix + ".bias");
        int out = (int) weight.dim(0);
        int in = (int) weight.dim(1);
        float[] wd = weight.data();
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < out; o++) {
                double sum = bias[o];
                for (int i = 0; i < in; i++) {
                    sum += x[t][i] * wd[o * in + i];
                }
                y[t][o] = sum;
            }
        }
        return y;
    }

    private double[][] layerNorm(double[][] x, String prefix) {
        float[] gamma = w(prefix + ".weight");
        float[] beta = w(prefix + ".bias");
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            double mean = Arrays.stream(x[t]).average().orElseThrow();
            double variance = 0;
            for (double value : x[t]) {
                variance += (value - mean) * (value - mean);
            }
            variance /= x[t].length;
            double inverse = 1.0 / Math.sqrt(variance + config.layerNormEps());
            y[t] = new double[x[t].length];
            for (int h = 0; h < x[t].length; h++) {
                y[t][h] = (x[t][h] - mean) * inverse * gamma[h] + beta[h];
            }
        }
        return y;
    }

    private static double[][] add(double[][] a, double[][] b) {
        double[][] sum = new double[a.length][a[0].length];
        for (int t = 0; t < a.length; t++) {
            for (int h = 0; h < a[t].length; h++) {
                sum[t][h] = a[t][h] + b[t][h];
            }
        }
        return sum;
    }

    private static void softmaxInPlace(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double value : z) {
            max = Math.max(max, value);
        }
        double total = 0;
        for (int i = 0; i < z.length; i++) {
            z[i] = Math.exp(z[i] - max);
            total += z[i];
        }
        for (int i = 0; i < z.length; i++) {
            z[i] /= total;
        }
    }

    /** Exact GELU: {@code x * Phi(x) = x/2 * (1 + erf(x / sqrt 2))}. */
    public static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    /**
     * The error function to about 1e-15 absolute, from the everywhere-convergent series with
     * positive terms (Abramowitz &amp; Stegun 7.1.6):
     * {@code erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))}.
     * No terms cancel, so it stays accurate where the Taylor series loses digits; beyond
     * |x| = 6, {@code 1 - erf(x) < 3e-17}, below double resolution near 1.
     */
    public static double erf(double x) {
        double a = Math.abs(x);
        if (a >= 6) {
            return Math.copySign(1.0, x);
        }
        double term = a;
        double sum = a;
        for (int n = 0; term > sum * 1e-17; n++) {
            term *= 2 * a * a / (2 * n + 3);
            sum += term;
        }
        return Math.copySign(2 / Math.sqrt(Math.PI) * Math.exp(-a * a) * sum, x);
    }

    private float[] w(String name) {
        HostTensor tensor = weights.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException("weight '" + name + "' missing");
        }
        return tensor.data();
    }
}
