package io.fedpipe.model.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A forward-only cursor over protocol-buffer wire data (one message, or a sub-message
 * window of a larger buffer).
 *
 * <p>Implements only what the ONNX schema needs: varints, fixed32/fixed64 and
 * length-delimited fields, packed or unpacked repeated scalars. Wire format per the
 * protobuf encoding guide: each field is a varint key {@code (field << 3) | wireType},
 * wire types 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32; 3 and 4 (groups) are
 * not used by ONNX and are rejected. Sub-messages share the backing array, so the 90 MB
 * MiniLM file is never copied while parsing.
 */
final class ProtoReader {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private final byte[] buffer;
    private final int limit;
    private final String source;
    private int position;

    ProtoReader(byte[] buffer, String source) {
        this(buffer, 0, buffer.length, source);
    }

    private ProtoReader(byte[] buffer, int start, int limit, String source) {
        this.buffer = buffer;
        this.position = start;
        this.limit = limit;
        this.source = source;
    }

    boolean hasRemaining() {
        return position < limit;
    }

    int position() {
        return position;
    }

    /** Reads a field key; use {@link #fieldNumber} and {@link #wireType} on the result. */
    int readKey() {
        long key = readVarint();
        if (key <= 0 || key > Integer.MAX_VALUE || (key >>> 3) == 0) {
            throw error("invalid field key " + key);
        }
        return (int) key;
    }

    static int fieldNumber(int key) {
        return key >>> 3;
    }

    static int wireType(int key) {
        return key & 7;
    }

    long readVarint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (position >= limit) {
                throw error("varint runs past the end of its message");
            }
            byte b = buffer[position++];
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw error("varint longer than 10 bytes");
    }

    int readFixed32() {
        require(4);
        int value = (buffer[position] & 0xFF)
                | (buffer[position + 1] & 0xFF) << 8
                | (buffer[position + 2] & 0xFF) << 16
                | (buffer[position + 3] & 0xFF) << 24;
        position += 4;
        return value;
    }

    long readFixed64() {
        long low = readFixed32() & 0xFFFFFFFFL;
        long high = readFixed32() & 0xFFFFFFFFL;
        return low | high << 32;
    }

    /** A reader over the next length-delimited field, which this reader then skips. */
    ProtoReader readMessage() {
        int length = readLength();
        ProtoReader sub = new ProtoReader(buffer, position, position + length, source);
        position += length;
        return sub;
    }

    String readString() {
        int length = readLength();
        String value = new String(buffer, position, length, StandardCharsets.UTF_8);
        position += length;
        return value;
    }

    /** The next length-delimited field as a little-endian view; no copy is made. */
    ByteBuffer readBytesView() {
        int length = readLength();
        ByteBuffer view = ByteBuffer.wrap(buffer, position, length).slice().order(ByteOrder.LITTLE_ENDIAN);
        position += length;
        return view;
    }

    /**
     * Appends one occurrence of a repeated varint field (int64/int32/enum), packed
     * (wire type 2) or not (wire type 0): proto3 writers pack, older ones may not.
     */
    void readRepeatedVarint(int wireType, LongList into) {
        if (wireType == VARINT) {
            into.add(readVarint());
        } else if (wireType == LENGTH_DELIMITED) {
            ProtoReader packed = readMessage();
            while (packed.hasRemaining()) {
                into.add(packed.readVarint());
            }
        } else {
            throw error("repeated varint field with wire type " + wireType);
        }
    }

    /** Appends one occurrence of a repeated float field, packed or not. */
    void readRepeatedFloat(int wireType, FloatList into) {
        if (wireType == FIXED32) {
            into.add(Float.intBitsToFloat(readFixed32()));
        } else if (wireType == LENGTH_DELIMITED) {
            ProtoReader packed = readMessage();
            if ((packed.limit - packed.position) % 4 != 0) {
                throw error("packed float field of " + (packed.limit - packed.position) + " bytes");
            }
            while (packed.hasRemaining()) {
                into.add(Float.intBitsToFloat(packed.readFixed32()));
            }
        } else {
            throw error("repeated float field with wire type " + wireType);
        }
    }

    /** Skips a field this reader does not need. */
    void skip(int wireType) {
        switch (wireType) {
            case VARINT -> readVarint();
            case FIXED64 -> {
                require(8);
                position += 8;
            }
            case LENGTH_DELIMITED -> {
                int length = readLength();
                position += length;
            }
            case FIXED32 -> {
                require(4);
                position += 4;
            }
            default -> throw error("unsupported wire type " + wireType);
        }
    }

    OnnxFormatException error(String problem) {
        return new OnnxFormatException(source + ": " + problem + " at byte " + position);
    }

    private int readLength() {
        long length = readVarint();
        if (length < 0 || length > limit - position) {
            throw error("length " + length + " exceeds the " + (limit - position) + " bytes left in its message");
        }
        return (int) length;
    }

    private void require(int bytes) {
        if (limit - position < bytes) {
            throw error("needs " + bytes + " bytes but " + (limit - position) + " are left");
        }
    }

    /** A growable primitive long list, to avoid boxing repeated int64 fields. */
    static final class LongList {
        private long[] values = new long[8];
        private int size;

        void add(long value) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        long[] toArray() {
            return java.util.Arrays.copyOf(values, size);
        }
    }

    /** A growable primitive float list for unpacked or packed float fields. */
    static final class FloatList {
        private float[] values = new float[8];
        private int size;

        void add(float value) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        float[] toArray() {
            return java.util.Arrays.copyOf(values, size);
        }
    }
}
