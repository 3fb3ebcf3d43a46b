package io.fedpipe.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Decodes hand-encoded protobuf bytes, following the encoding guide byte by byte. */
class OnnxWireFormatTest {

    @Test
    void varintOf300IsTwoBytes() {
        // 300 = 0b1_0010_1100: low 7 bits 0x2C with the continuation bit (0xAC), then 0x02.
        ProtoReader in = new ProtoReader(new byte[] {(byte) 0xAC, 0x02}, "test");
        assertEquals(300, in.readVarint());
        assertTrue(!in.hasRemaining());
    }

    @Test
    void tensorWithPackedFieldsDecodes() {
        Bytes tensor = new Bytes()
                .lengthDelimited(1, new Bytes().varint(2).varint(3).toArray()) // dims, packed
                .key(2, 0).varint(OnnxTensorProto.FLOAT)
                .lengthDelimited(4, floatsLittleEndian(1f, -2f, 0.5f, 3f, 4f, 5f)) // float_data, packed
                .lengthDelimited(8, "w".getBytes(StandardCharsets.UTF_8));
        OnnxTensorProto t = OnnxTensorProto.parse(new ProtoReader(tensor.toArray(), "test"));
        assertEquals("w", t.name());
        assertArrayEquals(new long[] {2, 3}, t.dims());
        assertArrayEquals(new float[] {1f, -2f, 0.5f, 3f, 4f, 5f}, t.floats());
    }

    @Test
    void tensorWithUnpackedDimsAndRawInt64Decodes() {
        ByteBuffer raw = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).putLong(384);
        Bytes tensor = new Bytes()
                .key(1, 0).varint(2) // dims, one unpacked element
                .key(2, 0).varint(OnnxTensorProto.INT64)
                .lengthDelimited(9, raw.array())
                .key(99, 5).fixed32(0xDEADBEEF) // an unknown fixed32 field is skipped
                .lengthDelimited(8, "shape".getBytes(StandardCharsets.UTF_8));
        OnnxTensorProto t = OnnxTensorProto.parse(new ProtoReader(tensor.toArray(), "test"));
        assertArrayEquals(new long[] {-1, 384}, t.longs());
        assertThrows(OnnxFormatException.class, t::floats);
    }

    @Test
    void modelWithOneNodeAndNamedOutputs() {
        byte[] node = new Bytes()
                .lengthDelimited(1, bytes("x")).lengthDelimited(1, bytes("W"))
                .lengthDelimited(2, bytes("y")).lengthDelimited(3, bytes("mm")).lengthDelimited(4, bytes("MatMul"))
                .toArray();
        byte[] graph = new Bytes()
                .lengthDelimited(1, node)
                .lengthDelimited(2, bytes("g"))
                .lengthDelimited(11, new Bytes().lengthDelimited(1, bytes("x")).toArray())
                .lengthDelimited(12, new Bytes().lengthDelimited(1, bytes("y")).toArray())
                .toArray();
        byte[] model = new Bytes().key(1, 0).varint(8).lengthDelimited(2, bytes("test")).lengthDelimited(7, graph)
                .toArray();
        OnnxGraph g = OnnxGraph.parse(model, "tiny.onnx");
        assertEquals("g", g.name());
        assertEquals(List.of("x"), g.inputs());
        assertEquals(List.of("y"), g.outputs());
        OnnxNode mm = g.nodes().get(0);
        assertEquals("MatMul", mm.opType());
        assertEquals(List.of("x", "W"), mm.inputs());
        assertEquals(mm, g.producerOf("y"));
        assertEquals(List.of(mm), g.consumersOf("W"));
    }

    @Test
    void truncatedFieldNamesSourceAndOffset() {
        // Field 7 claims 100 bytes but only 2 follow.
        byte[] model = {0x3A, 100, 0x0A, 0x00};
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> OnnxGraph.parse(model, "cut.onnx"));
        assertEquals("cut.onnx: length 100 exceeds the 2 bytes left in its message at byte 2", e.getMessage());
    }

    @Test
    void rawDataOfWrongSizeIsRejected() {
        Bytes tensor = new Bytes()
                .lengthDelimited(1, new Bytes().varint(3).toArray())
                .key(2, 0).varint(OnnxTensorProto.FLOAT)
                .lengthDelimited(9, new byte[8])
                .lengthDelimited(8, bytes("b"));
        OnnxFormatException e = assertThrows(OnnxFormatException.class,
                () -> OnnxTensorProto.parse(new ProtoReader(tensor.toArray(), "t.onnx")));
        assertTrue(e.getMessage().startsWith("t.onnx: tensor 'b' has 8 raw bytes but its dims need 12"), e.getMessage());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] floatsLittleEndian(float... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buffer.putFloat(v);
        }
        return buffer.array();
    }

    /** A minimal protobuf writer for test input. */
    private static final class Bytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bytes key(int field, int wireType) {
            return varint((long) field << 3 | wireType);
        }

        Bytes varint(long value) {
            long v = value;
            while ((v & ~0x7FL) != 0) {
                out.write((int) (v & 0x7F) | 0x80);
                v >>>= 7;
            }
            out.write((int) v);
            return this;
        }

        Bytes fixed32(int value) {
            for (int i = 0; i < 4; i++) {
                out.write(value >>> (8 * i) & 0xFF);
            }
            return this;
        }

        Bytes lengthDelimited(int field, byte[] payload) {
            key(field, 2).varint(payload.length);
            out.writeBytes(payload);
            return this;
        }

        byte[] toArray() {
            return out.toByteArray();
        }
    }
}
