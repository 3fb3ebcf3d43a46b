package io.fedpipe.model.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.HalfFloats;
import io.fedpipe.core.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Safetensors and model directories written as F32, F16 and BF16, read back (widened to float32). */
class HalfPrecisionWriteTest {

    @TempDir
    Path dir;

    @Test
    void f32RoundTripIsBitExact() throws IOException {
        Map<String, HostTensor> tensors = gaussian(12, Float::valueOf);
        Path file = dir.resolve("m.safetensors");
        SafetensorsFile.write(file, tensors, Map.of(), SafetensorsDtype.F32);
        assertBitEqual(tensors, SafetensorsFile.read(file));
        assertEquals(SafetensorsDtype.F32, SafetensorsFile.readHeader(file).tensors().get(0).dtype());
    }

    @Test
    void representableValuesComeBackBitExactInF16AndBf16() throws IOException {
        for (SafetensorsDtype dtype : List.of(SafetensorsDtype.F16, SafetensorsDtype.BF16)) {
            Map<String, HostTensor> tensors = gaussian(13, v -> narrow(v, dtype));
            // Signed zero, the smallest subnormal and the largest finite value of each format.
            float[] edges = dtype == SafetensorsDtype.F16
                    ? new float[] {-0.0f, 0x1p-24f, 65504f, -65504f, 6.1035156e-5f}
                    : new float[] {-0.0f, Float.intBitsToFloat(0x0001_0000), Float.intBitsToFloat(0x7F7F_0000), -1e38f, 1e-30f};
            edges[3] = narrow(edges[3], dtype);
            edges[4] = narrow(edges[4], dtype);
            tensors.put("edges", new HostTensor(new long[] {edges.length}, edges));
            Path file = dir.resolve(dtype + ".safetensors");
            SafetensorsFile.write(file, tensors, Map.of("format", "pt"), dtype);
            assertBitEqual(tensors, SafetensorsFile.read(file));
            SafetensorsHeader header = SafetensorsFile.readHeader(file);
            header.tensors().forEach(e -> assertEquals(dtype, e.dtype(), e.name()));
            assertEquals(2L * (6 * 42 + 5), header.dataBytes(), dtype + " stores two bytes per value");
        }
    }

    @Test
    void narrowingRoundsToNearestEven() throws IOException {
        // 1 + 2^-11 lies halfway between the halves 1 and 1 + 2^-10: ties go to the even mantissa (1).
        // 1 + 3·2^-11 lies halfway between 1 + 2^-10 and 1 + 2^-9: even is 1 + 2^-9.
        // For bfloat16 the same with 2^-8 spacing.
        float[] f16In = {1 + 0x1p-11f, 1 + 3 * 0x1p-11f, 1 + 0x1p-11f + 0x1p-20f};
        float[] f16Want = {1f, 1 + 0x1p-9f, 1 + 0x1p-10f};
        float[] bf16In = {1 + 0x1p-8f, 1 + 3 * 0x1p-8f, 1 + 0x1p-8f + 0x1p-20f};
        float[] bf16Want = {1f, 1 + 0x1p-6f, 1 + 0x1p-7f};
        assertArrayEquals(f16Want, writeRead(f16In, SafetensorsDtype.F16), 0f);
        assertArrayEquals(bf16Want, writeRead(bf16In, SafetensorsDtype.BF16), 0f);
    }

    @Test
    void writingTwiceGivesIdenticalBytes() throws IOException {
        Map<String, HostTensor> tensors = gaussian(14, Float::valueOf);
        for (SafetensorsDtype dtype : List.of(SafetensorsDtype.F32, SafetensorsDtype.F16, SafetensorsDtype.BF16)) {
            Path a = dir.resolve("a-" + dtype + ".safetensors");
            Path b = dir.resolve("b-" + dtype + ".safetensors");
            SafetensorsFile.write(a, tensors, Map.of("format", "pt"), dtype);
            SafetensorsFile.write(b, tensors, Map.of("format", "pt"), dtype);
            assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), dtype.name());
        }
    }

    @Test
    void valuesOutsideF16RangeAndOtherDtypesAreRefused() {
        Map<String, HostTensor> tensors = Map.of("big", new HostTensor(new long[] {2}, new float[] {1f, 70000f}));
        Path file = dir.resolve("big.safetensors");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.write(file, tensors, Map.of(), SafetensorsDtype.F16));
        assertTrue(e.getMessage().contains("'big'") && e.getMessage().contains("70000") && e.getMessage().contains("F16"),
                e.getMessage());
        assertTrue(Files.notExists(file));
        e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.write(file, tensors, Map.of(), SafetensorsDtype.I32));
        assertTrue(e.getMessage().contains("I32"), e.getMessage());
    }

    @Test
    void modelDirectoryInEachDtypeSetsTorchDtypeAndShardsByStoredBytes() throws IOException {
        ObjectNode config = JsonNodeFactory.instance.objectNode().put("model_type", "gpt2").put("torch_dtype", "float32");
        for (SafetensorsDtype dtype : List.of(SafetensorsDtype.F32, SafetensorsDtype.F16, SafetensorsDtype.BF16)) {
            Map<String, HostTensor> tensors = gaussian(15, v -> narrow(v, dtype));
            Path out = dir.resolve("model-" + dtype);
            // Each tensor holds 42 values: 168 bytes as F32 (two shards of three), 84 as 16-bit (one file).
            HfModelDirectory.write(out, config, tensors, List.of(), 600, dtype);
            HfModelDirectory back = HfModelDirectory.read(out);
            assertEquals(HfModelDirectory.torchDtype(dtype), back.config().get("torch_dtype").asText());
            assertEquals("float32", config.get("torch_dtype").asText(), "the caller's config is not changed");
            assertBitEqual(tensors, back.weights());
            boolean sharded = Files.exists(out.resolve(SafetensorsIndex.FILE_NAME));
            assertEquals(dtype == SafetensorsDtype.F32, sharded, dtype + ": 6 tensors in 600-byte shards");
            if (sharded) {
                assertEquals(6 * 168, SafetensorsIndex.read(out.resolve(SafetensorsIndex.FILE_NAME)).totalSize());
            }
        }
        assertEquals("bfloat16", HfModelDirectory.torchDtype(SafetensorsDtype.BF16));
        assertEquals("float16", HfModelDirectory.torchDtype(SafetensorsDtype.F16));
    }

    private float[] writeRead(float[] values, SafetensorsDtype dtype) throws IOException {
        Path file = dir.resolve("rounding-" + dtype + ".safetensors");
        SafetensorsFile.write(file, Map.of("x", new HostTensor(new long[] {values.length}, values)), Map.of(), dtype);
        return SafetensorsFile.read(file).get("x").data();
    }

    private static float narrow(float v, SafetensorsDtype dtype) {
        return dtype == SafetensorsDtype.F16 ? HalfFloats.fromFloat16Bits(HalfFloats.toFloat16Bits(v))
                : dtype == SafetensorsDtype.BF16 ? HalfFloats.fromBfloat16Bits(HalfFloats.toBfloat16Bits(v)) : v;
    }

    private static Map<String, HostTensor> gaussian(long seed, java.util.function.Function<Float, Float> f) {
        Random r = new Random(seed);
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        for (int t = 0; t < 6; t++) {
            float[] d = new float[42];
            for (int i = 0; i < d.length; i++) {
                d[i] = f.apply((float) (r.nextGaussian() * Math.pow(10, t - 3)));
            }
            tensors.put("layer." + t + ".weight", new HostTensor(new long[] {6, 7}, d));
        }
        return tensors;
    }

    private static void assertBitEqual(Map<String, HostTensor> want, Map<String, HostTensor> got) {
        assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()));
        for (String name : want.keySet()) {
            assertArrayEquals(want.get(name).shape(), got.get(name).shape(), name);
            float[] a = want.get(name).data();
            float[] b = got.get(name).data();
            assertEquals(a.length, b.length, name);
            for (int i = 0; i < a.length; i++) {
                assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), name + "[" + i + "]");
            }
        }
    }
}
