package io.fedpipe.model.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.core.HostTensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cross-checks the hand-written codec against DJL's independent safetensors codec, both ways. */
class SafetensorsDjlInteropTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        EngineSetup.start(1);
    }

    @Test
    void readsWhatDjlWritesIncludingF16() throws IOException {
        // Every value is exactly representable in binary16, so widening must reproduce it bit for bit.
        float[] halfValues = {0.5f, -1.25f, 3.0f, 1024f, -0.0f, 0x1p-24f};
        float[] f32Values = {0.1f, -7.3e-12f, 6.02e23f, 1f};
        Path file = dir.resolve("djl.safetensors");
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray half = manager.create(halfValues, new Shape(2, 3)).toType(DataType.FLOAT16, false);
            half.setName("encoder.half");
            NDArray single = manager.create(f32Values, new Shape(4, 1));
            single.setName("encoder.single");
            try (OutputStream out = Files.newOutputStream(file)) {
                new NDList(half, single).encode(out, NDList.Encoding.SAFETENSORS);
            }
        }

        LinkedHashMap<String, HostTensor> read = SafetensorsFile.read(file);

        assertEquals(SafetensorsDtype.F16, SafetensorsFile.readHeader(file).tensors().stream()
                .filter(t -> t.name().equals("encoder.half")).findFirst().orElseThrow().dtype());
        assertEquals(new HostTensor(new long[] {2, 3}, halfValues), read.get("encoder.half"));
        assertEquals(new HostTensor(new long[] {4, 1}, f32Values), read.get("encoder.single"));
    }

    @Test
    void djlReadsWhatWeWrite() throws IOException {
        LinkedHashMap<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("b.weight", new HostTensor(new long[] {2, 2}, new float[] {1.5f, -2.5f, 3.25f, Float.MIN_VALUE}));
        tensors.put("a.bias", new HostTensor(new long[] {3}, new float[] {7f, 8f, 9f}));
        Path file = dir.resolve("ours.safetensors");
        SafetensorsFile.write(file, tensors, Map.of("format", "pt"));

        try (NDManager manager = NDManager.newBaseManager(); InputStream in = Files.newInputStream(file)) {
            NDList list = NDList.decode(manager, in);
            assertEquals(List.of("b.weight", "a.bias"), list.stream().map(NDArray::getName).toList());
            for (NDArray array : list) {
                HostTensor expected = tensors.get(array.getName());
                assertEquals(DataType.FLOAT32, array.getDataType());
                assertArrayEquals(expected.shape(), array.getShape().getShape());
                assertArrayEquals(expected.data(), array.toFloatArray());
            }
        }
    }
}
