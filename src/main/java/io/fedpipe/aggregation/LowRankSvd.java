package io.fedpipe.aggregation;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Exact singular value decomposition of a product {@code B·A} with few inner columns, without ever
 * forming the {@code out × in} matrix.
 *
 * <p>With thin QR factorizations {@code B = Q_b R_b} and {@code Aᵀ = Q_a R_a},
 * {@code B·A = Q_b (R_b R_aᵀ) Q_aᵀ}; the small core {@code R_b R_aᵀ} (at most R×R for R inner
 * columns) is decomposed by one-sided Jacobi (Hestenes 1958; Demmel & Veselić 1992 for its
 * accuracy), and its singular vectors are rotated back by {@code Q_b} and {@code Q_a}. Cost
 * {@code O((out + in)·R² + R³)} instead of {@code O(out·in·min(out, in))} for a dense SVD.
 */
final class LowRankSvd {

    private static final int MAX_SWEEPS = 60;

    /** {@code M = U·diag(sigma)·Vᵀ}: {@code u [out, k]}, {@code v [in, k]}, sigma descending. */
    record Svd(Mat u, double[] sigma, Mat v) {

        /** Number of singular values above {@code relTol · σ_max}. */
        int numericalRank(double relTol) {
            if (sigma.length == 0 || sigma[0] == 0) {
                return 0;
            }
            int r = 0;
            while (r < sigma.length && sigma[r] > relTol * sigma[0]) {
                r++;
            }
            return r;
        }

        /**
         * The smallest {@code k} with {@code Σ_{i<k} σ_i² ≥ τ·Σ σ_i²}, at most the
         * {@linkplain #numericalRank numerical rank} (so τ = 1 keeps every non-zero direction and
         * not the rounding noise after them); 0 for a zero matrix.
         */
        int energyRank(double tau) {
            int numerical = numericalRank(FedPipeAggregation.NUMERICAL_RANK_TOLERANCE);
            double total = 0;
            for (double s : sigma) {
                total += s * s;
            }
            double kept = 0;
            int k = 0;
            while (k < numerical && kept < tau * total) {
                kept += sigma[k] * sigma[k];
                k++;
            }
            return k;
        }

        /**
         * The rank-{@code r} truncation as balanced factors {@code B = U_r·√Σ_r},
         * {@code A = √Σ_r·V_rᵀ}, padded with zero directions when {@code r} exceeds the
         * available singular values (Eckart–Young: the best rank-r approximation in Frobenius norm).
         */
        Factors truncate(int r) {
            int out = u.rows();
            int in = v.rows();
            Mat b = Mat.zeros(out, r);
            Mat a = Mat.zeros(r, in);
            int keep = Math.min(r, sigma.length);
            for (int j = 0; j < keep; j++) {
                double root = Math.sqrt(sigma[j]);
                for (int i = 0; i < out; i++) {
                    b.set(i, j, u.get(i, j) * root);
                }
                for (int i = 0; i < in; i++) {
                    a.set(j, i, v.get(i, j) * root);
                }
            }
            return new Factors(b, a);
        }
    }

    private LowRankSvd() {}

    static Svd ofProduct(Mat b, Mat a) {
        Qr qb = qr(b);
        Qr qa = qr(a.transpose());
        Mat core = qb.r().times(qa.r().transpose());
        Svd c = jacobi(core);
        return new Svd(qb.q().times(c.u()), c.sigma(), qa.q().times(c.v()));
    }

    record Qr(Mat q, Mat r) {}

    /** Thin Householder QR: {@code x [m, k] = q [m, p] · r [p, k]}, {@code p = min(m, k)}. */
    static Qr qr(Mat x) {
        int m = x.rows();
        int k = x.cols();
        int p = Math.min(m, k);
        double[][] col = new double[k][m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                col[j][i] = x.get(i, j);
            }
        }
        double[][] reflectors = new double[p][];
        for (int j = 0; j < p; j++) {
            double[] v = householder(col[j], j);
            reflectors[j] = v;
            if (v != null) {
                for (int c = j; c < k; c++) {
                    reflect(v, col[c], j);
                }
            }
        }
        Mat r = Mat.zeros(p, k);
        for (int i = 0; i < p; i++) {
            for (int j = i; j < k; j++) {
                r.set(i, j, col[j][i]);
            }
        }
        double[][] qCols = new double[p][m];
        for (int j = 0; j < p; j++) {
            qCols[j][j] = 1;
        }
        for (int h = p - 1; h >= 0; h--) {
            if (reflectors[h] != null) {
                for (int j = 0; j < p; j++) {
                    reflect(reflectors[h], qCols[j], h);
                }
            }
        }
        Mat q = Mat.zeros(m, p);
        for (int j = 0; j < p; j++) {
            for (int i = 0; i < m; i++) {
                q.set(i, j, qCols[j][i]);
            }
        }
        return new Qr(q, r);
    }

    /** Householder vector zeroing {@code x[from+1..]}, or null when that part is already zero. */
    private static double[] householder(double[] x, int from) {
        double norm = 0;
        for (int i = from; i < x.length; i++) {
            norm += x[i] * x[i];
        }
        norm = Math.sqrt(norm);
        if (norm == 0) {
            return null;
        }
        double alpha = x[from] > 0 ? -norm : norm;
        double[] v = new double[x.length];
        System.arraycopy(x, from, v, from, x.length - from);
        v[from] -= alpha;
        double vv = 0;
        for (int i = from; i < v.length; i++) {
            vv += v[i] * v[i];
        }
        if (vv == 0) {
            return null;
        }
        double inv = 1 / Math.sqrt(vv);
        for (int i = from; i < v.length; i++) {
            v[i] *= inv;
        }
        return v;
    }

    /** {@code y ← (I − 2vvᵀ) y} for a unit {@code v} that is zero before {@code from}. */
    private static void reflect(double[] v, double[] y, int from) {
        double dot = 0;
        for (int i = from; i < y.length; i++) {
            dot += v[i] * y[i];
        }
        if (dot == 0) {
            return;
        }
        dot *= 2;
        for (int i = from; i < y.length; i++) {
            y[i] -= dot * v[i];
        }
    }

    /** One-sided Jacobi SVD of a small matrix {@code c [m, n]}: orthogonalizes its columns. */
    static Svd jacobi(Mat c) {
        int m = c.rows();
        int n = c.cols();
        double[][] w = new double[n][m];
        double[][] v = new double[n][n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                w[j][i] = c.get(i, j);
            }
            v[j][j] = 1;
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            boolean rotated = false;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    rotated |= rotate(w, v, p, q);
                }
            }
            if (!rotated) {
                break;
            }
        }
        double[] sigma = new double[n];
        for (int j = 0; j < n; j++) {
            sigma[j] = Math.sqrt(dot(w[j], w[j]));
        }
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer j) -> sigma[j]).reversed());
        Mat u = Mat.zeros(m, n);
        Mat vm = Mat.zeros(n, n);
        double[] sorted = new double[n];
        for (int k = 0; k < n; k++) {
            int j = order[k];
            sorted[k] = sigma[j];
            for (int i = 0; i < m; i++) {
                u.set(i, k, sigma[j] == 0 ? 0 : w[j][i] / sigma[j]);
            }
            for (int i = 0; i < n; i++) {
                vm.set(i, k, v[j][i]);
            }
        }
        return new Svd(u, sorted, vm);
    }

    /** Rotates columns p and q so they become orthogonal; false when they already are. */
    private static boolean rotate(double[][] w, double[][] v, int p, int q) {
        double alpha = dot(w[p], w[p]);
        double beta = dot(w[q], w[q]);
        double gamma = dot(w[p], w[q]);
        if (gamma == 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) {
            return false;
        }
        double zeta = (beta - alpha) / (2 * gamma);
        double t = Math.signum(zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        if (zeta == 0) {
            t = 1;
        }
        double cs = 1 / Math.sqrt(1 + t * t);
        double sn = cs * t;
        apply(w[p], w[q], cs, sn);
        apply(v[p], v[q], cs, sn);
        return true;
    }

    private static void apply(double[] x, double[] y, double cs, double sn) {
        for (int i = 0; i < x.length; i++) {
            double xi = x[i];
            double yi = y[i];
            x[i] = cs * xi - sn * yi;
            y[i] = sn * xi + cs * yi;
        }
    }

    private static double dot(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += x[i] * y[i];
        }
        return s;
    }
}
