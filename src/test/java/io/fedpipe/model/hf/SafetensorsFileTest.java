package io.fedpipe.model.hf;

import io.fedpipe.core.HalfFloats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.core.HostTensor;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {

    @TempDir
    Path dir;

    @Test
    void roundTripKeepsValuesShapesOrderAndMetadata() throws IOException {
        Random random = new Random(11);
        float[] big = new float[300_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (float) random.nextGaussian();
        }
        LinkedHashMap<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("z.last.written.first", new HostTensor(new long[] {2, 3},
                new float[] {Float.NaN, -0.0f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, 1e-40f}));
        tensors.put("scalar", new HostTensor(new long[] {}, new float[] {42.5f}));
        tensors.put("empty", new HostTensor(new long[] {0, 7}, new float[0]));
        tensors.put("h.0.attn.c_attn.weight", new HostTensor(new long[] {600, 500}, big));
        Path file = dir.resolve("model.safetensors");

        SafetensorsFile.write(file, tensors, Map.of("format", "pt"));
        LinkedHashMap<String, HostTensor> back = SafetensorsFile.read(file);

        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(back.keySet()));
        for (String name : tensors.keySet()) {
            assertEquals(tensors.get(name), back.get(name), name);
        }
        SafetensorsHeader header = SafetensorsFile.readHeader(file);
        assertEquals(Map.of("format", "pt"), header.metadata());
        assertEquals(0, header.dataStart() % 8, "data must start 8-byte aligned");
        assertEquals(4L * (6 + 1 + 0 + 300_000), header.dataBytes());
        assertEquals(header.dataStart() + header.dataBytes(), Files.size(file));
        assertEquals(List.of(0L, 24L, 28L, 28L),
                header.tensors().stream().map(SafetensorsHeader.TensorEntry::begin).toList());
        assertTrue(Files.notExists(dir.resolve("model.safetensors.tmp")));
    }

    @Test
    void readsHandWrittenF32AndOrdersByOffsetNotByHeaderOrder() throws IOException {
        String header = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        Path file = RawSafetensors.write(dir.resolve("x.safetensors"), header,
                RawSafetensors.floats(1.5f, -0.25f, 3.0f));

        LinkedHashMap<String, HostTensor> t = SafetensorsFile.read(file);

        assertEquals(List.of("a", "b"), List.copyOf(t.keySet()));
        assertArrayEquals(new float[] {1.5f, -0.25f}, t.get("a").data());
        assertArrayEquals(new long[] {2}, t.get("a").shape());
        assertArrayEquals(new float[] {3.0f}, t.get("b").data());
    }

    @Test
    void widensF16AndBf16Exactly() throws IOException {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"half\":{\"dtype\":\"F16\",\"shape\":[8],\"data_offsets\":[0,16]},"
                + "\"brain\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[16,24]}}";
        byte[] half = RawSafetensors.shorts(0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8400, 0x7C00, 0x3555, 0x8000);
        byte[] bf16 = RawSafetensors.shorts(0x3F80, 0xC0A0, 0x4049, 0x0001);
        Path file = RawSafetensors.write(dir.resolve("half.safetensors"), header, RawSafetensors.concat(half, bf16));

        LinkedHashMap<String, HostTensor> t = SafetensorsFile.read(file);

        // 0x3555 = 2^-2 * (1 + 341/1024) = 0.333251953125; 0x0001 = 2^-24; 0x8400 = -2^-14.
        assertArrayEquals(new float[] {1.0f, -2.0f, 65504f, 0x1p-24f, -0x1p-14f, Float.POSITIVE_INFINITY,
                0.333251953125f, -0.0f}, t.get("half").data());
        // 0xC0A0 = -(1 + 32/128) * 2^2 = -5; 0x4049 = (1 + 73/128) * 2 = 3.140625; 0x0001 = 2^-133.
        assertArrayEquals(new float[] {1.0f, -5.0f, 3.140625f, 0x1p-133f}, t.get("brain").data());
        assertArrayEquals(new long[] {2, 2}, t.get("brain").shape());
    }

    @Test
    void halfNaNStaysNaN() {
        assertTrue(Float.isNaN(HalfFloats.fromFloat16Bits((short) 0x7E00)));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.fromFloat16Bits((short) 0xFC00));
    }

    @Test
    void truncatedFileNamesTensorAndByteCounts() throws IOException {
        Path file = dir.resolve("model.safetensors");
        LinkedHashMap<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("a", new HostTensor(new long[] {4}, new float[4]));
        tensors.put("h.0.attn.c_attn.weight", new HostTensor(new long[] {3, 4}, new float[12]));
        SafetensorsFile.write(file, tensors, Map.of());
        long dataStart = SafetensorsFile.readHeader(file).dataStart();
        long fullSize = Files.size(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(fullSize - 10);
        }

        String m = message(file);

        assertEquals(dataStart + 64, fullSize);
        assertTrue(m.startsWith(file + ": "), m);
        assertTrue(m.contains("tensor 'h.0.attn.c_attn.weight' data ends at byte " + fullSize
                + " but the file has " + (fullSize - 10) + " bytes"), m);
    }

    @Test
    void malformedHeadersGiveMessagesNamingFileAndProblem() throws IOException {
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3, 4, 5});
        assertMessage(tiny, "file has 5 bytes, fewer than the 8-byte header length");

        Path tooLong = RawSafetensors.write(dir.resolve("long.safetensors"), 1000, "{}".getBytes(), new byte[90]);
        assertMessage(tooLong, "header length 1000 is larger than the 92 bytes that follow it");

        Path notJson = RawSafetensors.write(dir.resolve("json.safetensors"), "{\"a\": [1, 2", new byte[0]);
        assertMessage(notJson, "header is not valid JSON");

        Path array = RawSafetensors.write(dir.resolve("array.safetensors"), "[1,2]", new byte[0]);
        assertMessage(array, "header is not a JSON object");

        Path dup = RawSafetensors.write(dir.resolve("dup.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                new byte[4]);
        assertMessage(dup, "Duplicate field 'a'");

        Path size = RawSafetensors.write(dir.resolve("size.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", new byte[20]);
        assertMessage(size, "tensor 'w' has shape [2, 3] and dtype F32, which need 24 bytes, but its data_offsets"
                + " [0, 20] span 20 bytes");

        Path overlap = RawSafetensors.write(dir.resolve("overlap.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                new byte[12]);
        assertMessage(overlap, "tensor 'b' data [4, 12) overlaps tensor 'a' data [0, 8)");

        Path gap = RawSafetensors.write(dir.resolve("gap.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}",
                new byte[20]);
        assertMessage(gap, "buffer bytes [8, 12) before tensor 'b' belong to no tensor");

        Path trailing = RawSafetensors.write(dir.resolve("trailing.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[12]);
        assertMessage(trailing, "the last 4 bytes of the file belong to no tensor");

        Path backwards = RawSafetensors.write(dir.resolve("backwards.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", new byte[8]);
        assertMessage(backwards, "tensor 'a' has data_offsets [8, 0] with begin after end");

        Path negative = RawSafetensors.write(dir.resolve("negative.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]);
        assertMessage(negative, "tensor 'a' has \"shape\" value -1 that is not a non-negative integer");

        Path noOffsets = RawSafetensors.write(dir.resolve("nooffsets.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]);
        assertMessage(noOffsets, "tensor 'a' has no array \"data_offsets\"");

        Path unknown = RawSafetensors.write(dir.resolve("unknown.safetensors"),
                "{\"a\":{\"dtype\":\"F7\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]);
        assertMessage(unknown, "tensor 'a' has unknown dtype 'F7'");

        Path meta = RawSafetensors.write(dir.resolve("meta.safetensors"), "{\"__metadata__\":{\"step\":3}}",
                new byte[0]);
        assertMessage(meta, "__metadata__ value of 'step' is not a string");
    }

    @Test
    void unsupportedDtypeIsRefusedByName() throws IOException {
        Path file = RawSafetensors.write(dir.resolve("ids.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"position_ids\":{\"dtype\":\"I64\",\"shape\":[1,3],\"data_offsets\":[4,28]}}",
                new byte[28]);

        assertMessage(file, "tensor 'position_ids' has dtype I64; only F32, F16 and BF16");
        // The header itself is valid: inspection still works.
        assertEquals(SafetensorsDtype.I64, SafetensorsFile.readHeader(file).tensors().get(1).dtype());
    }

    @Test
    void writerRefusesTheMetadataKeyAsTensorName() {
        Map<String, HostTensor> t = Map.of("__metadata__", new HostTensor(new long[] {1}, new float[1]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsFile.write(dir.resolve("m.safetensors"), t, Map.of()));
        assertTrue(e.getMessage().contains("__metadata__"), e.getMessage());
    }

    private static String message(Path file) {
        return assertThrows(ModelFileFormatException.class, () -> SafetensorsFile.read(file)).getMessage();
    }

    private static void assertMessage(Path file, String expected) {
        String m = message(file);
        assertTrue(m.startsWith(file + ": "), m);
        assertTrue(m.contains(expected), "expected '" + expected + "' in: " + m);
    }
}
