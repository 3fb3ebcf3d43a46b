package io.fedpipe.model.onnx;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One ONNX {@code TensorProto} (an initializer or a constant), decoded.
 *
 * <p>FLOAT tensors carry their values in {@link #floats()}; INT64 and INT32 tensors (shape
 * constants, axes) in {@link #longs()}; other element types keep only name, type and dims.
 * The value arrays are shared, not copied (the MiniLM file holds 90 MB of them): treat them
 * as read-only.
 */
public final class OnnxTensorProto {

    /** {@code TensorProto.DataType} codes this reader decodes (onnx.proto). */
    public static final int FLOAT = 1;
    public static final int INT32 = 6;
    public static final int INT64 = 7;

    private final String name;
    private final long[] dims;
    private final int dataType;
    private final float[] floats;
    private final long[] longs;

    OnnxTensorProto(String name, long[] dims, int dataType, float[] floats, long[] longs) {
        this.name = name;
        this.dims = dims.clone();
        this.dataType = dataType;
        this.floats = floats;
        this.longs = longs;
    }

    public String name() {
        return name;
    }

    public long[] dims() {
        return dims.clone();
    }

    public int dataType() {
        return dataType;
    }

    /** Element count implied by the dims (1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** The values of a FLOAT tensor; throws for any other type. */
    public float[] floats() {
        if (floats == null) {
            throw new OnnxFormatException("tensor '" + name + "' has data type " + dataType + ", not FLOAT");
        }
        return floats;
    }

    /** The values of an INT64 or INT32 tensor; throws for any other type. */
    public long[] longs() {
        if (longs == null) {
            throw new OnnxFormatException("tensor '" + name + "' has data type " + dataType + ", not INT64/INT32");
        }
        return longs;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(dims) + " type " + dataType;
    }

    /** Decodes a {@code TensorProto} (field numbers from onnx.proto, see {@link OnnxGraph}). */
    static OnnxTensorProto parse(ProtoReader in) {
        ProtoReader.LongList dims = new ProtoReader.LongList();
        ProtoReader.FloatList floatData = new ProtoReader.FloatList();
        ProtoReader.LongList intData = new ProtoReader.LongList();
        int dataType = 0;
        String name = "";
        ByteBuffer raw = null;
        long dataLocation = 0;
        while (in.hasRemaining()) {
            int key = in.readKey();
            int wire = ProtoReader.wireType(key);
            switch (ProtoReader.fieldNumber(key)) {
                case 1 -> in.readRepeatedVarint(wire, dims);
                case 2 -> dataType = (int) in.readVarint();
                case 4 -> in.readRepeatedFloat(wire, floatData);
                // int32_data (5) and int64_data (7) are both varints on the wire.
                case 5, 7 -> in.readRepeatedVarint(wire, intData);
                case 8 -> name = in.readString();
                case 9 -> raw = in.readBytesView();
                case 14 -> dataLocation = in.readVarint();
                default -> in.skip(wire);
            }
        }
        if (dataLocation != 0) {
            throw in.error("tensor '" + name + "' keeps its data in an external file, which is not supported");
        }
        OnnxTensorProto shapeOnly = new OnnxTensorProto(name, dims.toArray(), dataType, null, null);
        int count = Math.toIntExact(shapeOnly.elementCount());
        return switch (dataType) {
            case FLOAT -> new OnnxTensorProto(name, shapeOnly.dims, dataType,
                    raw != null ? rawFloats(in, name, raw, count) : checked(in, name, floatData.toArray(), count),
                    null);
            case INT64 -> new OnnxTensorProto(name, shapeOnly.dims, dataType, null,
                    raw != null ? rawLongs(in, name, raw, count, 8) : checked(in, name, intData.toArray(), count));
            case INT32 -> new OnnxTensorProto(name, shapeOnly.dims, dataType, null,
                    raw != null ? rawLongs(in, name, raw, count, 4) : checked(in, name, intData.toArray(), count));
            default -> shapeOnly;
        };
    }

    private static float[] rawFloats(ProtoReader in, String name, ByteBuffer raw, int count) {
        checkRawSize(in, name, raw, count, 4);
        float[] values = new float[count];
        raw.asFloatBuffer().get(values);
        return values;
    }

    private static long[] rawLongs(ProtoReader in, String name, ByteBuffer raw, int count, int width) {
        checkRawSize(in, name, raw, count, width);
        long[] values = new long[count];
        for (int i = 0; i < count; i++) {
            values[i] = width == 8 ? raw.getLong(i * 8) : raw.getInt(i * 4);
        }
        return values;
    }

    private static void checkRawSize(ProtoReader in, String name, ByteBuffer raw, int count, int width) {
        if (raw.remaining() != (long) count * width) {
            throw in.error("tensor '" + name + "' has " + raw.remaining() + " raw bytes but its dims need "
                    + (long) count * width);
        }
    }

    private static float[] checked(ProtoReader in, String name, float[] values, int count) {
        if (values.length != count) {
            throw in.error("tensor '" + name + "' has " + values.length + " values but its dims need " + count);
        }
        return values;
    }

    private static long[] checked(ProtoReader in, String name, long[] values, int count) {
        if (values.length != count) {
            throw in.error("tensor '" + name + "' has " + values.length + " values but its dims need " + count);
        }
        return values;
    }
}
