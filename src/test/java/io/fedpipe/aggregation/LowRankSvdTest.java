package io.fedpipe.aggregation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LowRankSvdTest {

    /** B = [[3 0] [0 0] [0 -2]], A = [[0 1] [1 0]]: B·A = [[0 3] [0 0] [-2 0]], σ = 3, 2. */
    @Test
    void singularValuesOfAHandComputedProduct() {
        Mat b = new Mat(3, 2, new double[] {3, 0, 0, 0, 0, -2});
        Mat a = new Mat(2, 2, new double[] {0, 1, 1, 0});
        LowRankSvd.Svd svd = LowRankSvd.ofProduct(b, a);
        assertArrayEquals(new double[] {3, 2}, svd.sigma(), 1e-12);
        assertArrayEquals(new double[] {0, 3, 0, 0, -2, 0}, svd.truncate(2).product().data(), 1e-12);
        assertArrayEquals(new double[] {0, 3, 0, 0, 0, 0}, svd.truncate(1).product().data(), 1e-12);
        assertEquals(2, svd.numericalRank(1e-10));
        // Energies 9 and 4 of 13: 9/13 = 0.692 of the energy in the first direction.
        assertEquals(1, svd.energyRank(0.69));
        assertEquals(2, svd.energyRank(0.70));
        assertEquals(2, svd.energyRank(1.0));
    }

    @Test
    void reconstructsARandomProductWithOrthonormalFactors() {
        Random rnd = new Random(11);
        Mat b = random(rnd, 200, 12);
        Mat a = random(rnd, 12, 70);
        LowRankSvd.Svd svd = LowRankSvd.ofProduct(b, a);
        Mat exact = b.times(a);
        assertTrue(Mat.distance(svd.truncate(12).product(), exact) / exact.frobenius() < 1e-12);
        assertOrthonormalColumns(svd.u());
        assertOrthonormalColumns(svd.v());
        for (int i = 1; i < svd.sigma().length; i++) {
            assertTrue(svd.sigma()[i] <= svd.sigma()[i - 1]);
        }
        // Eckart–Young: the rank-k error is the norm of the discarded singular values.
        double tail = 0;
        for (int i = 5; i < 12; i++) {
            tail += svd.sigma()[i] * svd.sigma()[i];
        }
        assertEquals(Math.sqrt(tail), Mat.distance(svd.truncate(5).product(), exact), 1e-9 * exact.frobenius());
    }

    @Test
    void rankDeficientStackHasZeroTrailingSingularValues() {
        Random rnd = new Random(12);
        Mat b1 = random(rnd, 30, 3);
        Mat a1 = random(rnd, 3, 20);
        // The same update twice: stacked rank 6, true rank 3.
        Mat b = Mat.hstack(java.util.List.of(b1.scaled(0.5), b1.scaled(0.5)));
        Mat a = Mat.vstack(java.util.List.of(a1, a1));
        LowRankSvd.Svd svd = LowRankSvd.ofProduct(b, a);
        assertEquals(3, svd.numericalRank(1e-10));
        assertTrue(Mat.distance(svd.truncate(3).product(), b1.times(a1)) / b1.times(a1).frobenius() < 1e-12);
    }

    private static void assertOrthonormalColumns(Mat m) {
        Mat gram = m.transpose().times(m);
        for (int i = 0; i < gram.rows(); i++) {
            for (int j = 0; j < gram.cols(); j++) {
                assertEquals(i == j ? 1 : 0, gram.get(i, j), 1e-12);
            }
        }
    }

    private static Mat random(Random rnd, int rows, int cols) {
        double[] d = new double[rows * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = rnd.nextGaussian();
        }
        return new Mat(rows, cols, d);
    }
}
