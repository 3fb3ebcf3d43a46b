package io.fedpipe.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Measures the engine's fp32 matrix-multiply rate: the denominator of MFU. */
public final class GemmPeak {

    private GemmPeak() {}

    /**
     * Best-of-{@code repeats} GFLOP/s of an {@code n×n} by {@code n×n} matmul (2n³ FLOPs) on the
     * engine's current thread count, after a warm-up.
     */
    public static double measure(NDManager parent, int n, int repeats) {
        try (NDManager m = parent.newSubManager()) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            for (int i = 0; i < 3; i++) {
                a.matMul(b).close();
            }
            double best = Double.MAX_VALUE;
            for (int r = 0; r < repeats; r++) {
                int inner = 5;
                long t0 = System.nanoTime();
                for (int i = 0; i < inner; i++) {
                    NDArray c = a.matMul(b);
                    c.getFloat(0, 0); // forces completion (eager CPU already is; keeps JIT honest)
                    c.close();
                }
                best = Math.min(best, (System.nanoTime() - t0) / 1e9 / inner);
            }
            return 2.0 * n * n * n / best / 1e9;
        }
    }
}
