package io.fedpipe.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Child-JVM probe for {@link MklShimParityTest}: computes a seeded 512x512 fp32 matmul and a
 * small chain (matmul, GELU, softmax) with DJL and writes both results to the file named by
 * the first argument (an int count, then the floats, for each result). Prints
 * {@code shimLoaded=<bool>} and a matmul rate on stdout.
 */
public final class MatmulProbe {

    static final int N = 512;
    static final int CHAIN_ROWS = 64;
    static final int CHAIN_COLS = 256;

    private MatmulProbe() {}

    public static void main(String[] args) throws IOException {
        Path output = Path.of(args[0]);
        EngineSetup.start(1);
        System.out.println("shimLoaded=" + NativeTuning.detect().shimLoaded());
        Random random = new Random(20240611L);
        float[] a = gaussian(random, N * N);
        float[] b = gaussian(random, N * N);
        float[] x = gaussian(random, CHAIN_ROWS * N);
        float[] w = gaussian(random, N * CHAIN_COLS);
        try (NDManager manager = NDManager.newBaseManager();
             OutputStream file = Files.newOutputStream(output);
             DataOutputStream out = new DataOutputStream(file)) {
            NDArray left = manager.create(a, new Shape(N, N));
            NDArray right = manager.create(b, new Shape(N, N));
            write(out, left.matMul(right).toFloatArray());
            // Scaled so GELU and softmax see O(1) inputs rather than saturating.
            NDArray logits = manager.create(x, new Shape(CHAIN_ROWS, N))
                    .matMul(manager.create(w, new Shape(N, CHAIN_COLS))).div(Math.sqrt(N));
            write(out, Activation.gelu(logits).softmax(-1).toFloatArray());
            System.out.printf("gflops=%.1f%n", rate(left, right));
        }
    }

    private static double rate(NDArray left, NDArray right) {
        int repeats = 20;
        long start = System.nanoTime();
        for (int i = 0; i < repeats; i++) {
            left.matMul(right).close();
        }
        return 2.0 * N * N * N * repeats / (System.nanoTime() - start);
    }

    private static float[] gaussian(Random random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static void write(DataOutputStream out, float[] values) throws IOException {
        out.writeInt(values.length);
        for (float v : values) {
            out.writeFloat(v);
        }
    }
}
