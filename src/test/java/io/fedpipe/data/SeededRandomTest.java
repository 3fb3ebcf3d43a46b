package io.fedpipe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SeededRandomTest {

    @Test
    void matchesSplitMix64ReferenceOutput() {
        // Reference values of Vigna's splitmix64.c started from state 0.
        SeededRandom random = new SeededRandom(0);
        assertEquals(0xE220A8397B1DCDAFL, random.nextLong());
        assertEquals(0x6E789E6AA1B965F4L, random.nextLong());
        assertEquals(0x06C45D188009454FL, random.nextLong());
    }

    @Test
    void nextIntIsUniformByChiSquare() {
        SeededRandom random = new SeededRandom(11);
        int bound = 7;
        int draws = 70_000;
        int[] counts = new int[bound];
        for (int i = 0; i < draws; i++) {
            counts[random.nextInt(bound)]++;
        }
        double expected = (double) draws / bound;
        double chiSquare = Arrays.stream(counts).mapToDouble(c -> (c - expected) * (c - expected) / expected).sum();
        // 6 degrees of freedom: P(chi2 > 22.46) = 0.001.
        assertTrue(chiSquare < 22.46, "chi-square " + chiSquare + " for counts " + Arrays.toString(counts));
    }

    @Test
    void gaussianHasUnitMoments() {
        SeededRandom random = new SeededRandom(5);
        int n = 100_000;
        double sum = 0;
        double squares = 0;
        for (int i = 0; i < n; i++) {
            double x = random.nextGaussian();
            sum += x;
            squares += x * x;
        }
        // Standard errors: 1/sqrt(n) = 0.0032 for the mean, sqrt(2/n) = 0.0045 for the variance.
        assertEquals(0.0, sum / n, 0.015);
        assertEquals(1.0, squares / n - (sum / n) * (sum / n), 0.02);
    }

    @Test
    void permutationHoldsEachIndexOnceAndDependsOnSeed() {
        int[] first = new SeededRandom(3).permutation(1000);
        int[] again = new SeededRandom(3).permutation(1000);
        int[] other = new SeededRandom(4).permutation(1000);

        assertArrayEquals(first, again);
        assertTrue(!Arrays.equals(first, other));
        int[] sorted = first.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            assertEquals(i, sorted[i]);
        }
    }

    @Test
    void purposeStreamsDiffer() {
        long a = SeededRandom.forPurpose(1, "iid").nextLong();
        long b = SeededRandom.forPurpose(1, "quantity-skew").nextLong();
        long c = SeededRandom.forPurpose(2, "iid").nextLong();

        assertTrue(a != b && a != c && b != c);
        assertEquals(a, SeededRandom.forPurpose(1, "iid").nextLong());
    }
}
