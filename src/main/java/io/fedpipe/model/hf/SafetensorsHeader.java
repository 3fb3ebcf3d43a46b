package io.fedpipe.model.hf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The validated header of one safetensors file: metadata and, for every tensor, its dtype, shape
 * and byte range.
 *
 * <p>Layout (https://github.com/huggingface/safetensors, "Format"): an unsigned 64-bit
 * little-endian header length {@code N}, {@code N} bytes of UTF-8 JSON, then the data buffer.
 * The JSON maps each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} with
 * offsets relative to the buffer start, plus an optional {@code "__metadata__"} string map.
 *
 * <p>{@link #read} accepts a header only if the file is exactly what it describes: every range
 * lies inside the file, has {@code prod(shape) * dtypeSize} bytes, and the ranges tile the
 * buffer from byte 0 to the end of the file without gap or overlap (the rule the reference
 * implementation enforces). Tensors are listed in data-offset order, which is the order they
 * were written in.
 */
public record SafetensorsHeader(
        Path file, long fileSize, long dataStart, Map<String, String> metadata, List<TensorEntry> tensors) {

    /** The reference implementation refuses headers above 100 MB; a larger one is corruption. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    static final String METADATA_KEY = "__metadata__";

    /** Duplicate names would make the tensor set ambiguous; trailing tokens mean a damaged header. */
    static final ObjectMapper STRICT_JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    public SafetensorsHeader {
        metadata = Map.copyOf(metadata);
        tensors = List.copyOf(tensors);
    }

    /** One tensor's entry; {@code begin} and {@code end} are relative to {@link #dataStart()}. */
    public record TensorEntry(String name, SafetensorsDtype dtype, long[] shape, long begin, long end) {

        public TensorEntry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long elementCount() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        public long byteLength() {
            return end - begin;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorEntry t
                    && name.equals(t.name)
                    && dtype == t.dtype
                    && Arrays.equals(shape, t.shape)
                    && begin == t.begin
                    && end == t.end;
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
        }
    }

    /** Sum of the tensors' data bytes (what a shard index calls {@code total_size}). */
    public long dataBytes() {
        return fileSize - dataStart;
    }

    /** Reads and validates the header of {@code file} through an open channel. */
    static SafetensorsHeader read(Path file, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw bad(file, "file has " + fileSize + " bytes, fewer than the 8-byte header length that starts"
                    + " every safetensors file");
        }
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, channel, prefix, 0);
        long headerLength = prefix.getLong(0);
        if (headerLength < 0 || headerLength > fileSize - 8) {
            throw bad(file, "header length " + Long.toUnsignedString(headerLength) + " is larger than the "
                    + (fileSize - 8) + " bytes that follow it (file has " + fileSize
                    + " bytes; truncated or not a safetensors file)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw bad(file, "header length " + headerLength + " exceeds the " + MAX_HEADER_BYTES
                    + "-byte limit of the format");
        }
        ByteBuffer json = ByteBuffer.allocate((int) headerLength);
        readFully(file, channel, json, 8);
        JsonNode root;
        try {
            root = STRICT_JSON.readTree(json.array());
        } catch (JsonProcessingException e) {
            throw bad(file, "header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw bad(file, "header is not a JSON object");
        }
        long dataStart = 8 + headerLength;
        Map<String, String> metadata = Map.of();
        List<TensorEntry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (METADATA_KEY.equals(field.getKey())) {
                metadata = parseMetadata(file, field.getValue());
            } else {
                entries.add(parseEntry(file, field.getKey(), field.getValue()));
            }
        }
        entries.sort(Comparator.comparingLong(TensorEntry::begin).thenComparingLong(TensorEntry::end));
        checkLayout(file, fileSize, dataStart, entries);
        return new SafetensorsHeader(file, fileSize, dataStart, metadata, entries);
    }

    private static Map<String, String> parseMetadata(Path file, JsonNode node) throws ModelFileFormatException {
        if (!node.isObject()) {
            throw bad(file, METADATA_KEY + " is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw bad(file, METADATA_KEY + " value of '" + e.getKey() + "' is not a string");
            }
            metadata.put(e.getKey(), e.getValue().textValue());
        }
        return metadata;
    }

    private static TensorEntry parseEntry(Path file, String name, JsonNode node) throws ModelFileFormatException {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw bad(file, where + " is not described by a JSON object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw bad(file, where + " has no string \"dtype\"");
        }
        SafetensorsDtype dtype = SafetensorsDtype.named(dtypeNode.textValue())
                .orElseThrow(() -> bad(file, where + " has unknown dtype '" + dtypeNode.textValue() + "'"));
        long[] shape = longArray(file, where, node.get("shape"), "shape", -1);
        long[] offsets = longArray(file, where, node.get("data_offsets"), "data_offsets", 2);
        if (offsets[0] > offsets[1]) {
            throw bad(file, where + " has data_offsets " + Arrays.toString(offsets) + " with begin after end");
        }
        TensorEntry entry = new TensorEntry(name, dtype, shape, offsets[0], offsets[1]);
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(entry.elementCount(), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw bad(file, where + " shape " + Arrays.toString(shape) + " overflows a 64-bit byte count");
        }
        if (expectedBytes != entry.byteLength()) {
            throw bad(file, where + " has shape " + Arrays.toString(shape) + " and dtype " + dtype + ", which need "
                    + expectedBytes + " bytes, but its data_offsets " + Arrays.toString(offsets) + " span "
                    + entry.byteLength() + " bytes");
        }
        return entry;
    }

    private static long[] longArray(Path file, String where, JsonNode node, String key, int requiredLength)
            throws ModelFileFormatException {
        if (node == null || !node.isArray()) {
            throw bad(file, where + " has no array \"" + key + "\"");
        }
        if (requiredLength >= 0 && node.size() != requiredLength) {
            throw bad(file, where + " has \"" + key + "\" with " + node.size() + " values, expected "
                    + requiredLength);
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw bad(file, where + " has \"" + key + "\" value " + v + " that is not a non-negative integer");
            }
            values[i] = v.longValue();
        }
        return values;
    }

    /** Ranges sorted by begin must lie in the file and tile the buffer exactly. */
    private static void checkLayout(Path file, long fileSize, long dataStart, List<TensorEntry> sorted)
            throws ModelFileFormatException {
        long bufferBytes = fileSize - dataStart;
        for (TensorEntry e : sorted) {
            if (e.end() > bufferBytes) {
                throw bad(file, "tensor '" + e.name() + "' data ends at byte " + (dataStart + e.end())
                        + " but the file has " + fileSize + " bytes");
            }
        }
        long covered = 0;
        TensorEntry previous = null;
        for (TensorEntry e : sorted) {
            if (e.begin() < covered) {
                throw bad(file, "tensor '" + e.name() + "' data [" + e.begin() + ", " + e.end()
                        + ") overlaps tensor '" + previous.name() + "' data [" + previous.begin() + ", "
                        + previous.end() + ")");
            }
            if (e.begin() > covered) {
                throw bad(file, "buffer bytes [" + covered + ", " + e.begin() + ") before tensor '" + e.name()
                        + "' belong to no tensor");
            }
            covered = e.end();
            previous = e;
        }
        if (covered != bufferBytes) {
            throw bad(file, "the last " + (bufferBytes - covered) + " bytes of the file belong to no tensor");
        }
    }

    static void readFully(Path file, FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, pos);
            if (n < 0) {
                throw bad(file, "file ended at byte " + pos + " while reading it");
            }
            pos += n;
        }
    }

    static ModelFileFormatException bad(Path file, String problem) {
        return new ModelFileFormatException(file + ": " + problem);
    }

    static ModelFileFormatException bad(Path file, String problem, Throwable cause) {
        return new ModelFileFormatException(file + ": " + problem, cause);
    }
}
