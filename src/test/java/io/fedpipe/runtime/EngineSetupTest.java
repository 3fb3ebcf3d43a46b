package io.fedpipe.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EngineSetupTest {

    @Test
    void engineRunsOfflineAndMultipliesLikeJava() {
        EngineSetup.start(2);
        assertEquals("true", System.getProperty("ai.djl.offline"));
        int m = 37;
        int k = 53;
        int n = 29;
        Random random = new Random(7);
        float[] a = new float[m * k];
        float[] b = new float[k * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) random.nextGaussian();
        }
        float[] got;
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(a, new Shape(m, k));
            NDArray y = manager.create(b, new Shape(k, n));
            got = x.matMul(y).toFloatArray();
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double want = 0;
                for (int p = 0; p < k; p++) {
                    want += (double) a[i * k + p] * b[p * n + j];
                }
                assertEquals(want, got[i * n + j], 1e-4, "C[" + i + "," + j + "]");
            }
        }
    }

    @Test
    void mklShimIsLoadedExactlyWhereItHelps() {
        NativeTuning tuning = NativeTuning.detect();
        // Surefire preloads the library the build made for this CPU; it is only the real
        // shim on AMD CPUs with AVX2 (native/build-mkl-shim.sh), unless switched off.
        boolean switchedOff = "off".equals(System.getenv("FEDPIPE_MKL_SHIM"));
        if (tuning.amdWithAvx2() && !switchedOff) {
            assertTrue(tuning.shimLoaded(), "AMD CPU with AVX2 but the MKL shim is not loaded: " + tuning);
        }
        assertTrue(tuning.describe().startsWith("MKL"), tuning.describe());
    }
}
