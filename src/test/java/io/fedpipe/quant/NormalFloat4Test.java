package io.fedpipe.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NormalFloat4Test {

    /** bitsandbytes' create_normal_map offset: between 1 - 1/(2·15) and 1 - 1/(2·16) (QLoRA §3). */
    private static final double OFFSET = 0.9677083;

    @Test
    void levelsAreTheNormalQuantilesOfQlora() {
        // 8 positive quantiles of linspace(offset, 0.5, 9) minus its last, 7 negative ones of
        // linspace(offset, 0.5, 8) minus its last, and zero; normalized by the largest.
        double[] expected = new double[16];
        double top = inverseNormalCdf(OFFSET);
        for (int k = 0; k < 7; k++) {
            double p = OFFSET + k * (0.5 - OFFSET) / 7;
            expected[k] = -inverseNormalCdf(p) / top;
        }
        expected[7] = 0;
        for (int k = 0; k < 8; k++) {
            double p = OFFSET + k * (0.5 - OFFSET) / 8;
            expected[15 - k] = inverseNormalCdf(p) / top;
        }
        float[] levels = NormalFloat4.levels();
        for (int code = 0; code < 16; code++) {
            assertEquals(expected[code], levels[code], 2e-7, "level " + code);
        }
        assertEquals(0.07958029955625534f, levels[8]);
        assertEquals(-0.6961928009986877f, levels[1]);
    }

    @Test
    void nearestCodeSplitsAtMidpoints() {
        assertEquals(0, NormalFloat4.nearestCode(-1f));
        assertEquals(15, NormalFloat4.nearestCode(1f));
        assertEquals(NormalFloat4.ZERO_CODE, NormalFloat4.nearestCode(0f));
        assertEquals(NormalFloat4.ZERO_CODE, NormalFloat4.nearestCode(-0f));
        // Between 0.44070983 (12) and 0.56261700 (13) the midpoint is 0.50166342.
        assertEquals(12, NormalFloat4.nearestCode(0.5f));
        assertEquals(13, NormalFloat4.nearestCode(0.502f));
        // Between 0 (7) and 0.07958030 (8): 0.03979015.
        assertEquals(7, NormalFloat4.nearestCode(0.0397f));
        assertEquals(8, NormalFloat4.nearestCode(0.0398f));
        // Between -0.09105004 (6) and 0 (7): -0.04552502.
        assertEquals(6, NormalFloat4.nearestCode(-0.0456f));
        assertEquals(7, NormalFloat4.nearestCode(-0.0455f));
    }

    /** Φ⁻¹ by bisection on Φ(x) = 1/2 + ∫₀ˣ φ, the integral by composite Simpson (error far below 1e-9). */
    private static double inverseNormalCdf(double p) {
        double low = -10;
        double high = 10;
        for (int i = 0; i < 80; i++) {
            double mid = (low + high) / 2;
            if (normalCdf(mid) < p) {
                low = mid;
            } else {
                high = mid;
            }
        }
        return (low + high) / 2;
    }

    private static double normalCdf(double x) {
        int intervals = 2000;
        double h = x / intervals;
        double sum = density(0) + density(x);
        for (int i = 1; i < intervals; i++) {
            sum += density(i * h) * (i % 2 == 1 ? 4 : 2);
        }
        return 0.5 + sum * h / 3;
    }

    private static double density(double x) {
        return Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
    }
}
