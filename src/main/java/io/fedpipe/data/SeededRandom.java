package io.fedpipe.data;

/**
 * A seeded pseudo-random source whose output is fixed by this class alone, so that splits and
 * partitions are identical across runs, JVM versions and machines.
 *
 * <p>{@code java.util.Random}'s sequence is specified, but the way library methods consume it
 * ({@code Collections.shuffle}, {@code nextGaussian}) and {@code SplittableRandom}'s algorithm are
 * not promised never to change, and {@code Math.log}/{@code Math.cos} may differ by an ulp between
 * JVMs. Hence: SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014) as the generator, our own Fisher–Yates shuffle, and {@link StrictMath}.
 * Not for cryptography. Not thread-safe.
 */
public final class SeededRandom {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private long state;

    public SeededRandom(long seed) {
        this.state = seed;
    }

    /** An independent stream for a named purpose, so adding one use of randomness does not shift others. */
    public static SeededRandom forPurpose(long seed, String purpose) {
        long h = seed;
        for (int i = 0; i < purpose.length(); i++) {
            h = mix(h + GOLDEN_GAMMA * (purpose.charAt(i) + 1L));
        }
        return new SeededRandom(h);
    }

    public long nextLong() {
        state += GOLDEN_GAMMA;
        return mix(state);
    }

    /** Uniform in [0, 1), with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in (0, 1]: safe to take the logarithm of. */
    public double nextPositiveDouble() {
        return 1.0 - nextDouble();
    }

    /** Uniform in [0, bound), without modulo bias. */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        // Reject the top partial block of the 63-bit range so every residue is equally likely.
        while (true) {
            long bits = nextLong() >>> 1;
            long value = bits % bound;
            if (bits - value + (bound - 1) >= 0) {
                return (int) value;
            }
        }
    }

    /** Standard normal by Box–Muller; one draw per call (the sine partner is discarded for simplicity). */
    public double nextGaussian() {
        double radius = StrictMath.sqrt(-2.0 * StrictMath.log(nextPositiveDouble()));
        return radius * StrictMath.cos(2.0 * StrictMath.PI * nextDouble());
    }

    /** Shuffles in place, uniformly over all permutations (Fisher–Yates / Durstenfeld). */
    public void shuffle(int[] values) {
        for (int i = values.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int swap = values[i];
            values[i] = values[j];
            values[j] = swap;
        }
    }

    /** A random permutation of 0..n-1. */
    public int[] permutation(int n) {
        int[] values = new int[n];
        for (int i = 0; i < n; i++) {
            values[i] = i;
        }
        shuffle(values);
        return values;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
