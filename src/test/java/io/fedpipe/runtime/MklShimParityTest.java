package io.fedpipe.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The oneMKL vendor shim changes which GEMM kernels run, not what they compute: the same
 * seeded matmul and matmul-GELU-softmax chain, run in a child JVM with the shim and one
 * without, agree to float tolerance. The kernels sum in different orders, so bitwise
 * equality is not expected; fp32 accumulation over k = 512 terms gives relative
 * differences of order sqrt(512) * 6e-8, about 1e-6, far inside the 1e-4 bound.
 */
class MklShimParityTest {

    private static final double RELATIVE_TOLERANCE = 1e-4;

    @TempDir
    Path dir;

    @Test
    void resultsWithAndWithoutShimAgree() throws Exception {
        NativeTuning tuning = NativeTuning.detect();
        assumeTrue(tuning.amdWithAvx2(), "MKL shim parity needs an AMD CPU with AVX2+FMA; this is " + tuning.cpuVendor());
        assumeTrue(tuning.shimLoaded(), "MKL shim not preloaded in this JVM (absent file "
                + "target/native/libfedpipe_mklshim.so, or FEDPIPE_MKL_SHIM=off)");
        // native/build-mkl-shim.sh records which library it built; "empty" would make this test vacuous.
        Path mode = Path.of(tuning.shimPath()).resolveSibling("mklshim.mode");
        assumeTrue(Files.isReadable(mode) && Files.readString(mode).trim().equals("active"),
                "the preloaded library is not the active MKL shim (" + mode + ")");

        Path withShim = dir.resolve("with-shim.bin");
        Path withoutShim = dir.resolve("without-shim.bin");
        Process on = start(ChildJvm.forMain(MatmulProbe.class).threads(1).args(withShim.toString()));
        Process off = start(ChildJvm.forMain(MatmulProbe.class).threads(1).withoutMklShim()
                .args(withoutShim.toString()));
        String onOutput = finish(on, "with shim");
        String offOutput = finish(off, "without shim");
        System.out.println("with shim: " + onOutput.trim().replace('\n', ' ')
                + " | without shim: " + offOutput.trim().replace('\n', ' '));

        assertTrue(onOutput.contains("shimLoaded=true"), onOutput);
        assertTrue(offOutput.contains("shimLoaded=false"), offOutput);
        try (DataInputStream a = open(withShim); DataInputStream b = open(withoutShim)) {
            double matmul = relativeDifference(a, b);
            double chain = relativeDifference(a, b);
            System.out.printf("shim parity: matmul %.3e, matmul-gelu-softmax %.3e (max |diff| / max |value|)%n",
                    matmul, chain);
            assertTrue(matmul < RELATIVE_TOLERANCE, "matmul differs by " + matmul);
            assertTrue(chain < RELATIVE_TOLERANCE, "chain differs by " + chain);
        }
    }

    private static Process start(ChildJvm.Builder child) throws IOException {
        return child.processBuilder().redirectErrorStream(true).start();
    }

    private static String finish(Process process, String label) throws Exception {
        // Child output is small (two lines plus warnings), so reading after exit cannot block it.
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(exited, "probe " + label + " did not finish in 60 s: " + output);
        assertEquals(0, process.exitValue(), "probe " + label + " failed: " + output);
        return output;
    }

    private static DataInputStream open(Path file) throws IOException {
        return new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)));
    }

    /** Reads one result from each stream; returns max |a - b| / max |b|. */
    private static double relativeDifference(DataInputStream a, DataInputStream b) throws IOException {
        int n = a.readInt();
        assertEquals(n, b.readInt(), "result sizes differ");
        assertTrue(n > 0);
        double maxDiff = 0;
        double maxValue = 0;
        for (int i = 0; i < n; i++) {
            float x = a.readFloat();
            float y = b.readFloat();
            maxDiff = Math.max(maxDiff, Math.abs((double) x - y));
            maxValue = Math.max(maxValue, Math.abs(y));
        }
        assertTrue(maxValue > 0, "all-zero result");
        return maxDiff / maxValue;
    }
}
