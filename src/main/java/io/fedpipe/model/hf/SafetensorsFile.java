package io.fedpipe.model.hf;

import io.fedpipe.core.HalfFloats;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.HostTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and writes single safetensors files as {@link HostTensor}s, with the header validated by
 * {@link SafetensorsHeader}.
 *
 * <p>Reading widens F16 and BF16 to float32 (exactly: every half and bfloat16 value is a float32
 * value) and refuses every other dtype, naming the tensor. Data is memory-mapped and copied once,
 * straight into each tensor's {@code float[]}; offsets are {@code long}, so files above 2 GiB
 * work (DJL's own safetensors codec uses {@code int} offsets). The returned map is in data-offset
 * order, which for files this class wrote is the caller's insertion order.
 *
 * <p>Writing stores F32, F16 or BF16, little-endian, with the header padded by spaces to a multiple
 * of 8 bytes so the data is aligned (as the reference writer does), into a temporary sibling file
 * that is then moved over the target: a crash never leaves a half-written file under the real name.
 * F16 and BF16 are narrowed by rounding to nearest, ties to even ({@link HalfFloats}, as PyTorch's
 * {@code .to(torch.float16)} does); a finite value that would become an infinity is refused, naming
 * the tensor, since a checkpoint with a silently infinite weight computes NaN. NaN and infinities
 * given as such are kept.
 */
public final class SafetensorsFile {

    /** Bytes mapped at once: below the 2 GiB limit of one mapping, and a multiple of 8. */
    private static final long MAP_CHUNK_BYTES = 1L << 30;
    private static final int WRITE_BUFFER_BYTES = 1 << 20;
    /** The largest array length every JVM accepts. */
    private static final long MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private SafetensorsFile() {}

    /** Reads and validates only the header: names, dtypes, shapes, offsets and metadata. */
    public static SafetensorsHeader readHeader(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return SafetensorsHeader.read(file, channel);
        }
    }

    /** Reads every tensor of {@code file} as float32, in the file's data order. */
    public static LinkedHashMap<String, HostTensor> read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            SafetensorsHeader header = SafetensorsHeader.read(file, channel);
            for (SafetensorsHeader.TensorEntry e : header.tensors()) {
                checkLoadable(file, e);
            }
            LinkedHashMap<String, HostTensor> tensors = new LinkedHashMap<>();
            for (SafetensorsHeader.TensorEntry e : header.tensors()) {
                float[] data = readFloats(channel, header.dataStart() + e.begin(), e.dtype(), (int) e.elementCount());
                tensors.put(e.name(), new HostTensor(e.shape(), data));
            }
            return tensors;
        }
    }

    /**
     * Writes {@code tensors} as F32 in iteration order, with {@code metadata} as the header's
     * {@code __metadata__} (omitted when empty). Replaces {@code file} if it exists.
     */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata)
            throws IOException {
        write(file, tensors, metadata, SafetensorsDtype.F32);
    }

    /**
     * Writes {@code tensors} as {@code dtype} (F32, F16 or BF16) in iteration order, with
     * {@code metadata} as the header's {@code __metadata__} (omitted when empty). Replaces
     * {@code file} if it exists; on a refused value nothing is written.
     *
     * @throws IllegalArgumentException for another dtype, or a finite value outside F16's range
     */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata,
            SafetensorsDtype dtype) throws IOException {
        requireStorable(tensors, dtype);
        byte[] header = headerBytes(tensors, metadata, dtype);
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve(file.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(WRITE_BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(header.length);
            writeFully(channel, buffer.flip());
            writeFully(channel, ByteBuffer.wrap(header));
            for (HostTensor t : tensors.values()) {
                if (dtype == SafetensorsDtype.F32) {
                    writeFloats(channel, buffer, t.data());
                } else {
                    writeHalves(channel, buffer, t.data(), dtype);
                }
            }
            channel.force(false);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Bytes the data section of a file holding {@code t} as {@code dtype} takes. */
    static long dataBytes(HostTensor t, SafetensorsDtype dtype) {
        return (long) dtype.byteSize() * t.data().length;
    }

    /** The dtypes {@link #write} can store: the float types reading widens back exactly. */
    private static void requireWritable(SafetensorsDtype dtype) {
        if (dtype == null || !dtype.widensToFloat32()) {
            throw new IllegalArgumentException("safetensors weights can be written as F32, F16 or BF16, not " + dtype);
        }
    }

    /** Refuses a dtype {@link #write} cannot store, and finite values it would turn into infinities. */
    static void requireStorable(Map<String, HostTensor> tensors, SafetensorsDtype dtype) {
        requireWritable(dtype);
        if (dtype != SafetensorsDtype.F32) {
            for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
                requireRepresentable(e.getKey(), e.getValue().data(), dtype);
            }
        }
    }

    private static void requireRepresentable(String name, float[] data, SafetensorsDtype dtype) {
        for (int i = 0; i < data.length; i++) {
            if (Float.isFinite(data[i]) && !Float.isFinite(narrow(data[i], dtype))) {
                throw new IllegalArgumentException("tensor '" + name + "' element " + i + " = " + data[i]
                        + " is outside the range of " + dtype + " (it would be stored as an infinity)");
            }
        }
    }

    private static float narrow(float value, SafetensorsDtype dtype) {
        return dtype == SafetensorsDtype.F16 ? HalfFloats.fromFloat16Bits(HalfFloats.toFloat16Bits(value))
                : HalfFloats.fromBfloat16Bits(HalfFloats.toBfloat16Bits(value));
    }

    private static void checkLoadable(Path file, SafetensorsHeader.TensorEntry e) throws ModelFileFormatException {
        if (!e.dtype().widensToFloat32()) {
            throw SafetensorsHeader.bad(file, "tensor '" + e.name() + "' has dtype " + e.dtype()
                    + "; only F32, F16 and BF16 tensors can be read as float32");
        }
        if (e.elementCount() > MAX_ARRAY_LENGTH) {
            throw SafetensorsHeader.bad(file, "tensor '" + e.name() + "' has " + e.elementCount()
                    + " elements, more than one Java float[] can hold");
        }
    }

    private static float[] readFloats(FileChannel channel, long position, SafetensorsDtype dtype, int count)
            throws IOException {
        float[] out = new float[count];
        int size = dtype.byteSize();
        int done = 0;
        while (done < count) {
            int n = (int) Math.min(count - done, MAP_CHUNK_BYTES / size);
            MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, position + (long) done * size,
                    (long) n * size);
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            switch (dtype) {
                case F32 -> mapped.asFloatBuffer().get(out, done, n);
                case F16 -> widenHalf(mapped.asShortBuffer(), out, done, n);
                case BF16 -> widenBfloat16(mapped.asShortBuffer(), out, done, n);
                default -> throw new IllegalStateException("not a float dtype: " + dtype);
            }
            done += n;
        }
        return out;
    }

    private static void widenHalf(ShortBuffer in, float[] out, int offset, int n) {
        for (int i = 0; i < n; i++) {
            out[offset + i] = HalfFloats.fromFloat16Bits(in.get(i));
        }
    }

    private static void widenBfloat16(ShortBuffer in, float[] out, int offset, int n) {
        for (int i = 0; i < n; i++) {
            out[offset + i] = HalfFloats.fromBfloat16Bits(in.get(i));
        }
    }

    private static byte[] headerBytes(Map<String, HostTensor> tensors, Map<String, String> metadata,
            SafetensorsDtype dtype) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(SafetensorsHeader.METADATA_KEY);
            metadata.forEach((k, v) -> meta.put(requireText(k, "metadata key"), requireText(v, "metadata value")));
        }
        long offset = 0;
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            String name = requireText(e.getKey(), "tensor name");
            if (name.equals(SafetensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor cannot be named " + SafetensorsHeader.METADATA_KEY);
            }
            HostTensor t = e.getValue();
            ObjectNode entry = root.putObject(name);
            entry.put("dtype", dtype.name());
            ArrayNode shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            long end = offset + dataBytes(t, dtype);
            entry.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = new byte[padded];
        System.arraycopy(json, 0, header, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            header[i] = ' ';
        }
        return header;
    }

    private static String requireText(String s, String what) {
        if (s == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        return s;
    }

    private static void writeFloats(FileChannel channel, ByteBuffer buffer, float[] data) throws IOException {
        int perChunk = buffer.capacity() / 4;
        for (int done = 0; done < data.length; done += perChunk) {
            int n = Math.min(perChunk, data.length - done);
            buffer.clear();
            buffer.asFloatBuffer().put(data, done, n);
            buffer.limit(n * 4);
            writeFully(channel, buffer);
        }
    }

    private static void writeHalves(FileChannel channel, ByteBuffer buffer, float[] data, SafetensorsDtype dtype)
            throws IOException {
        int perChunk = buffer.capacity() / 2;
        boolean f16 = dtype == SafetensorsDtype.F16;
        for (int done = 0; done < data.length; done += perChunk) {
            int n = Math.min(perChunk, data.length - done);
            buffer.clear();
            ShortBuffer out = buffer.asShortBuffer();
            for (int i = 0; i < n; i++) {
                float v = data[done + i];
                out.put(f16 ? HalfFloats.toFloat16Bits(v) : HalfFloats.toBfloat16Bits(v));
            }
            buffer.limit(n * 2);
            writeFully(channel, buffer);
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }
}
