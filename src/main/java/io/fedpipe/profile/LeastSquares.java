package io.fedpipe.profile;

/**
 * Weighted linear least squares for a handful of features: minimises Σ wᵢ²·(xᵢ·c − yᵢ)².
 *
 * <p>Solved by the normal equations after scaling each column to unit norm (the features here
 * span 1 to ~10¹¹, FLOPs beside an intercept; unscaled, XᵀX would lose every digit of the small
 * column), with Gaussian elimination and partial pivoting.
 */
final class LeastSquares {

    private LeastSquares() {}

    /**
     * @param x rows of features, all of one length p
     * @param y targets
     * @param w row weights (use 1/yᵢ for relative errors)
     * @return the p coefficients
     * @throws IllegalArgumentException with fewer rows than features or when the features are collinear
     */
    static double[] solve(double[][] x, double[] y, double[] w) {
        int n = x.length;
        if (n == 0 || y.length != n || w.length != n) {
            throw new IllegalArgumentException("least squares needs as many targets and weights as rows: "
                    + n + ", " + y.length + ", " + w.length);
        }
        int p = x[0].length;
        if (n < p) {
            throw new IllegalArgumentException("least squares with " + p + " features needs at least " + p
                    + " measurements, got " + n);
        }
        double[] scale = new double[p];
        for (double[] row : x) {
            if (row.length != p) {
                throw new IllegalArgumentException("least squares rows differ in length: " + p + " and " + row.length);
            }
        }
        for (int j = 0; j < p; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                double v = w[i] * x[i][j];
                s += v * v;
            }
            scale[j] = s > 0 ? Math.sqrt(s) : 1;
        }
        double[][] a = new double[p][p + 1];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < p; j++) {
                double xj = w[i] * x[i][j] / scale[j];
                for (int k = 0; k < p; k++) {
                    a[j][k] += xj * w[i] * x[i][k] / scale[k];
                }
                a[j][p] += xj * w[i] * y[i];
            }
        }
        for (int col = 0; col < p; col++) {
            int pivot = col;
            for (int r = col + 1; r < p; r++) {
                if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) {
                    pivot = r;
                }
            }
            // The scaled normal matrix has a unit diagonal; a pivot this small means collinear features.
            if (Math.abs(a[pivot][col]) < 1e-12) {
                throw new IllegalArgumentException("least squares: the features are collinear on these measurements");
            }
            double[] t = a[col];
            a[col] = a[pivot];
            a[pivot] = t;
            for (int r = 0; r < p; r++) {
                if (r != col) {
                    double f = a[r][col] / a[col][col];
                    for (int k = col; k <= p; k++) {
                        a[r][k] -= f * a[col][k];
                    }
                }
            }
        }
        double[] c = new double[p];
        for (int j = 0; j < p; j++) {
            c[j] = a[j][p] / a[j][j] / scale[j];
        }
        return c;
    }
}
