package io.fedpipe.data;

/**
 * Gamma and symmetric Dirichlet sampling on a {@link SeededRandom}.
 *
 * <p>Gamma(a, 1) for a ≥ 1 uses Marsaglia and Tsang, "A simple method for generating gamma
 * variables", ACM TOMS 26(3), 2000: with d = a − 1/3, c = 1/√(9d), draw x ~ N(0,1),
 * v = (1 + cx)³ and accept dv when log u &lt; x²/2 + d − dv + d·log v. For a &lt; 1 it uses their
 * boost Gamma(a) = Gamma(a + 1) · U^(1/a). That product underflows to 0 for the small α used for
 * skewed partitions (α = 0.01: U^100), so we work with log-gammas and normalise the Dirichlet
 * vector by subtracting the largest before exponentiating; the proportions stay well defined.
 */
public final class Dirichlet {

    private Dirichlet() {
    }

    /** One draw of Gamma(shape, 1). */
    public static double gamma(double shape, SeededRandom random) {
        return StrictMath.exp(logGamma(shape, random));
    }

    /** The logarithm of one draw of Gamma(shape, 1), finite even when the draw underflows. */
    public static double logGamma(double shape, SeededRandom random) {
        if (!(shape > 0) || Double.isInfinite(shape)) {
            throw new IllegalArgumentException("gamma shape must be positive and finite, got " + shape);
        }
        if (shape < 1.0) {
            return logGammaAtLeastOne(shape + 1.0, random) + StrictMath.log(random.nextPositiveDouble()) / shape;
        }
        return logGammaAtLeastOne(shape, random);
    }

    private static double logGammaAtLeastOne(double shape, SeededRandom random) {
        double d = shape - 1.0 / 3.0;
        double c = 1.0 / StrictMath.sqrt(9.0 * d);
        while (true) {
            double x = random.nextGaussian();
            double t = 1.0 + c * x;
            if (t <= 0) {
                continue;
            }
            double v = t * t * t;
            double u = random.nextPositiveDouble();
            double x2 = x * x;
            // The squeeze 1 − 0.0331·x⁴ accepts most draws without computing logarithms (paper, step 5).
            if (u < 1.0 - 0.0331 * x2 * x2
                    || StrictMath.log(u) < 0.5 * x2 + d * (1.0 - v + StrictMath.log(v))) {
                return StrictMath.log(d) + StrictMath.log(v);
            }
        }
    }

    /** A draw from the symmetric Dirichlet(α, …, α) over {@code k} categories; sums to 1. */
    public static double[] symmetric(double alpha, int k, SeededRandom random) {
        if (k < 1) {
            throw new IllegalArgumentException("Dirichlet needs at least one category, got " + k);
        }
        double[] logs = new double[k];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < k; i++) {
            logs[i] = logGamma(alpha, random);
            max = Math.max(max, logs[i]);
        }
        double sum = 0;
        double[] p = new double[k];
        for (int i = 0; i < k; i++) {
            p[i] = StrictMath.exp(logs[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < k; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
