package io.fedpipe.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.quant.QuantFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeasuredProfileTest {

    @TempDir
    Path dir;

    private static MeasuredProfile sample() {
        // fp32 at 50 GFLOP/s, int8 1.4× and nf4 1.5× slower.
        NodeProfile p = SyntheticProfiles.pureFlopRate(64, Map.of(QuantFormat.FP32, 2e-11, QuantFormat.INT8, 2.8e-11,
                QuantFormat.NF4, 3e-11));
        MeasuredDevice d = MeasuredDevice.fit("measured", p, SyntheticProfiles.SHAPE, 0);
        return MeasuredProfile.of(p, d, FittedCostModel.fit(p, SyntheticProfiles.SHAPE, FittedCostModel.Form.FLOPS));
    }

    @Test
    void holdsTheFittedDeviceCoefficientsAndMemory() {
        MeasuredProfile m = sample();
        assertEquals(0.05, m.fp32Tflops(), 1e-9);
        assertEquals(0, m.halfUtilizationTokens(), 0);
        assertEquals(1.4, m.slowdown().get("int8"), 1e-9);
        assertEquals(1.5, m.slowdown().get("bf16"), 1e-9, "unprofiled formats get the largest measured slowdown");
        assertEquals(2e-11, m.fits().get("fp32").get(1), 1e-17);
        assertEquals(0, m.fits().get("nf4").get(0), 1e-9);
        assertEquals(3, m.memory().size());
        assertEquals(92_000_000L, m.memory().get(0).baseBytes());
        assertEquals(10_000_000, m.memory().get(0).activationBytesPerSample(), 1e-6);
        assertEquals(List.of("k", "o", "q", "v"), m.targets());
        assertEquals(0.05, m.device("n", 1L << 30).fp32Tflops(), 1e-9);
    }

    @Test
    void roundTripsThroughItsFile() throws Exception {
        MeasuredProfile m = sample();
        Path file = dir.resolve("sub/profile.json");
        m.write(file);
        assertEquals(m, MeasuredProfile.read(file));
        assertTrue(Files.readString(file).contains("\"fp32Tflops\""));
    }

    @Test
    void aBadFileIsOneLineNamingIt() throws Exception {
        Path missing = dir.resolve("missing.json");
        assertEquals("profile file " + missing + " does not exist",
                assertThrows(IllegalArgumentException.class, () -> MeasuredProfile.read(missing)).getMessage());

        Path garbage = dir.resolve("garbage.json");
        Files.writeString(garbage, "{ not json");
        String e = assertThrows(IllegalArgumentException.class, () -> MeasuredProfile.read(garbage)).getMessage();
        assertTrue(e.startsWith("profile file " + garbage + " is not a valid profile: "), e);
        assertFalse(e.contains("\n"), e);

        Path file = dir.resolve("p.json");
        sample().write(file);
        Path negative = dir.resolve("negative.json");
        Files.writeString(negative, Files.readString(file).replaceFirst("\"fp32Tflops\" : [0-9.eE-]+",
                "\"fp32Tflops\" : -1"));
        e = assertThrows(IllegalArgumentException.class, () -> MeasuredProfile.read(negative)).getMessage();
        assertTrue(e.contains("fp32Tflops must be positive"), e);
        assertFalse(e.contains("\n"), e);
    }
}
