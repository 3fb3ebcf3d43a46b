package io.fedpipe.model;

import io.fedpipe.core.TransformerConfig;

/**
 * The angles of rotary position embedding (Su et al. 2021, RoFormer §3.4): position m rotates
 * the pair (i, i + d/2) of a head by {@code m·θ_i}, {@code θ_i = base^(−2i/d)}, after the
 * config's {@code rope_scaling}. Computed in double precision, as Hugging Face computes the
 * inverse frequencies in float32 and the angles from them; the float32 tables agree to rounding.
 */
final class RotaryTable {

    private RotaryTable() {}

    /** The inverse frequencies θ_i, i = 0 .. d/2 − 1, scaled as the config says. */
    static double[] inverseFrequencies(TransformerConfig c) {
        int d = c.headDim();
        double[] inv = new double[d / 2];
        for (int i = 0; i < inv.length; i++) {
            // Hugging Face: 1 / base^(arange(0, d, 2) / d), evaluated in float32.
            float exponent = (float) (2 * i) / d;
            inv[i] = (float) (1.0 / Math.pow(c.ropeTheta(), exponent));
        }
        if (c.ropeScaling() != null) {
            c.ropeScaling().apply(inv);
        }
        return inv;
    }

    /** {@code {cos, sin}}, each {@code [maxPositions, d]} row-major; column j uses θ_{j mod d/2}. */
    static float[][] cosSin(TransformerConfig c) {
        int d = c.headDim();
        double[] inv = inverseFrequencies(c);
        float[] cos = new float[c.maxPositions() * d];
        float[] sin = new float[c.maxPositions() * d];
        for (int m = 0; m < c.maxPositions(); m++) {
            for (int j = 0; j < d; j++) {
                // Hugging Face forms the angle in float32 (position · inv_freq), then cos/sin of it.
                float angle = (float) m * (float) inv[j % (d / 2)];
                cos[m * d + j] = (float) Math.cos(angle);
                sin[m * d + j] = (float) Math.sin(angle);
            }
        }
        return new float[][] {cos, sin};
    }
}
