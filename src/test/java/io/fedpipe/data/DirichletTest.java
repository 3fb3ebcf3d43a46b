package io.fedpipe.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DirichletTest {

    @ParameterizedTest
    @ValueSource(doubles = {0.3, 1.0, 2.5, 9.0})
    void gammaHasMeanAndVarianceEqualToShape(double shape) {
        SeededRandom random = new SeededRandom(17);
        int n = 50_000;
        double sum = 0;
        double squares = 0;
        for (int i = 0; i < n; i++) {
            double x = Dirichlet.gamma(shape, random);
            assertTrue(x >= 0);
            sum += x;
            squares += x * x;
        }
        double mean = sum / n;
        double variance = squares / n - mean * mean;
        // Gamma(k,1): mean k, variance k. Standard error of the mean sqrt(k/n); allow 5 of them.
        assertEquals(shape, mean, 5 * Math.sqrt(shape / n));
        // Var of the sample variance is about (mu4 - k^2)/n with mu4 = 3k^2 + 6k for Gamma(k,1).
        assertEquals(shape, variance, 5 * Math.sqrt((2 * shape * shape + 6 * shape) / n));
    }

    @Test
    void symmetricDirichletHasMeanOneOverKAndSumsToOne() {
        SeededRandom random = new SeededRandom(23);
        int k = 4;
        double alpha = 0.5;
        int n = 20_000;
        double[] mean = new double[k];
        for (int i = 0; i < n; i++) {
            double[] p = Dirichlet.symmetric(alpha, k, random);
            double total = 0;
            for (int j = 0; j < k; j++) {
                total += p[j];
                mean[j] += p[j] / n;
            }
            assertEquals(1.0, total, 1e-12);
        }
        // Var(p_j) = (1/k)(1 - 1/k)/(k·alpha + 1) = 0.0625; standard error sqrt(0.0625/n) = 0.0018.
        for (double m : mean) {
            assertEquals(0.25, m, 0.01);
        }
    }

    @Test
    void tinyAlphaStaysFiniteAndConcentrates() {
        SeededRandom random = new SeededRandom(29);
        double maxShareSum = 0;
        for (int i = 0; i < 200; i++) {
            double[] p = Dirichlet.symmetric(0.005, 10, random);
            double max = 0;
            for (double share : p) {
                assertTrue(Double.isFinite(share) && share >= 0);
                max = Math.max(max, share);
            }
            maxShareSum += max;
        }
        // With alpha = 0.005 nearly all mass falls on one category (E[max share] is close to 1).
        assertTrue(maxShareSum / 200 > 0.9, "mean max share " + maxShareSum / 200);
    }

    @Test
    void rejectsNonPositiveShape() {
        assertThrows(IllegalArgumentException.class, () -> Dirichlet.gamma(0.0, new SeededRandom(1)));
        assertThrows(IllegalArgumentException.class, () -> Dirichlet.gamma(Double.NaN, new SeededRandom(1)));
    }
}
