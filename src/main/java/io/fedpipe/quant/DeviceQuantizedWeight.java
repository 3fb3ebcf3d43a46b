package io.fedpipe.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link QuantizedWeight} resident on a DJL device, dequantized on the fly in each forward pass.
 *
 * <p>The codes and scales live in a sub-manager of the manager given at construction (the
 * long-lived model manager) until {@link #close()}. {@link #dequantize(NDManager)} returns a new
 * float32 array of the original shape owned by the caller's scope, typically the per-step
 * sub-manager. DJL places a result in the manager of the array an operation is called on
 * (STACK.md rule 15), so the resident arrays are {@code tempAttach}ed to a private work manager
 * under the scope for the duration of the call: every intermediate is freed when it closes, the
 * result is attached to the scope, and the resident arrays return home. Nothing accumulates in the
 * long-lived manager. The decode uses only whole-array operations (casts, table lookups, broadcast
 * multiplies; no per-element Java loop, no host round trip) and is bit-identical to
 * {@link QuantizedWeight#dequantize()}: both sides perform the same float32 operations in the same
 * order.
 *
 * <p>Per format, on the device:
 * <ul>
 *   <li>FP32: the floats; decode is a copy, so the caller may modify the result freely.</li>
 *   <li>FP16: a FLOAT16 array; decode is PyTorch's exact widening cast.</li>
 *   <li>BF16: the raw bytes as a UINT8 {@code [n, 2]} array (low byte, high byte), 2 bytes per value.
 *       BFLOAT16 arrays cannot be used: creating or casting to them kills the JVM with DJL 0.36
 *       here (STACK.md rule 13), and so does INT16; DJL offers no bit reinterpretation either. The
 *       value is therefore rebuilt as {@code high[hiByte] · low[loByte]} from two 256-entry float
 *       tables ({@code take}): the high byte carries the sign and 7 exponent bits ({@code ±2^(2e-127)}), the low
 *       byte the last exponent bit and the mantissa ({@code 2^b · (1 + m/128)}). The product of
 *       these powers of two is exact. It cannot express exponent fields 0 and 1, so the quantizer
 *       flushes magnitudes below 2^-125 to zero. This keeps BF16 at 2 bytes per parameter on the
 *       device, as the memory planner assumes; widening to FP32 at load would double it.</li>
 *   <li>INT8: signed bytes padded to whole blocks, and the per-block step {@code absmax·(1/127)} as
 *       float32 {@code [blocks, 1]}; decode is a cast and a broadcast multiply.</li>
 *   <li>NF4: the packed bytes as UINT8, padded to whole blocks, and a {@code [256, 2]} table that maps
 *       a byte to the levels of its high and low nibble: one lookup unpacks and decodes both codes
 *       (DJL has no bit shifts). Then a broadcast multiply by the {@code [blocks, 1]} absmax.</li>
 * </ul>
 * Double-quantized scales stay 8-bit on the device and are decoded in each call (a few operations
 * on one value per block).
 *
 * <p>{@link #dequantize} is synchronized: the temporary attachment moves the resident arrays, so
 * two threads must not decode the same weight at once.
 */
public final class DeviceQuantizedWeight implements AutoCloseable {

    private static final int BYTE_VALUES = 256;

    private final QuantFormat format;
    private final Shape shape;
    private final int elementCount;
    private final int blockSize;
    private final int blockCount;
    private final NDManager resident;
    private final List<NDArray> residentArrays = new ArrayList<>();
    private final NDArray codes;
    private NDArray pairLevels;
    private NDArray bf16HighTable;
    private NDArray bf16LowTable;
    private NDArray blockFactors;
    private NDArray scaleCodes;
    private NDArray scaleSteps;
    private float scaleMean;
    private boolean closed;

    /**
     * Uploads a weight to the device of {@code manager}.
     *
     * @param weight the quantized weight
     * @param manager the long-lived manager that owns the device copy (through a sub-manager)
     */
    public DeviceQuantizedWeight(QuantizedWeight weight, NDManager manager) {
        Objects.requireNonNull(weight, "weight");
        Objects.requireNonNull(manager, "manager");
        this.format = weight.format();
        this.shape = new Shape(weight.shape());
        this.elementCount = weight.elementCount();
        this.blockSize = weight.blockSize();
        this.blockCount = weight.blockCount();
        this.resident = manager.newSubManager();
        try {
            this.codes = keep(uploadCodes(weight));
            if (format.blockScaled()) {
                uploadScales(weight);
            }
        } catch (RuntimeException e) {
            resident.close();
            throw e;
        }
    }

    /**
     * Decodes the weight to a new float32 array of the original shape, attached to {@code scope}.
     *
     * @param scope the manager that will own the result (the caller's per-step sub-manager)
     * @throws IllegalStateException after {@link #close()}
     */
    public synchronized NDArray dequantize(NDManager scope) {
        Objects.requireNonNull(scope, "scope");
        if (closed) {
            throw new IllegalStateException("dequantize called on a closed DeviceQuantizedWeight " + shape);
        }
        try (NDManager work = scope.newSubManager()) {
            for (NDArray array : residentArrays) {
                array.tempAttach(work);
            }
            NDArray result = decode();
            result.attach(scope);
            return result;
        }
    }

    /** Bytes of all arrays held on the device: codes (with block padding), scales and lookup tables. */
    public long deviceBytes() {
        long bytes = 0;
        for (NDArray array : residentArrays) {
            bytes += array.size() * array.getDataType().getNumOfBytes();
        }
        return bytes;
    }

    public QuantFormat format() {
        return format;
    }

    /** The shape of the decoded weight. */
    public Shape shape() {
        return shape;
    }

    /** Frees the device arrays; later calls to {@link #dequantize} fail. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            resident.close();
        }
    }

    private NDArray decode() {
        return switch (format) {
            case FP32 -> codes.duplicate();
            case FP16 -> codes.toType(DataType.FLOAT32, false);
            case BF16 -> decodeBf16();
            case INT8 -> trimToShape(codes.toType(DataType.FLOAT32, false).mul(blockFactors()));
            case NF4 -> trimToShape(decodeNf4());
        };
    }

    private NDArray decodeBf16() {
        NDArray bytes = codes.toType(DataType.INT64, false);
        // torch.take on the two byte columns measured about twice as fast as the embedding lookup here.
        NDManager work = bytes.getManager();
        NDArray high = bf16HighTable.take(work, bytes.get(new NDIndex(":, 1")));
        NDArray low = bf16LowTable.take(work, bytes.get(new NDIndex(":, 0")));
        return high.mul(low).reshape(shape);
    }

    private NDArray decodeNf4() {
        NDArray bytes = codes.toType(DataType.INT64, false);
        NDArray levels = lookup(bytes, pairLevels);
        return levels.reshape(blockCount, blockSize).mul(blockFactors());
    }

    /**
     * Rows of {@code table} selected by {@code indices}: DJL's embedding operator (index_select),
     * measured about 3 times as fast as advanced indexing for the NF4 pair table.
     */
    private static NDArray lookup(NDArray indices, NDArray table) {
        return indices.getNDArrayInternal().embedding(indices, table, SparseFormat.DENSE).singletonOrThrow();
    }

    /** The per-block multiplier {@code [blocks, 1]}: absmax for NF4, absmax/127 for INT8. */
    private NDArray blockFactors() {
        if (scaleCodes == null) {
            return blockFactors;
        }
        NDArray scales = scaleCodes.toType(DataType.FLOAT32, false).mul(scaleSteps).add(scaleMean).maximum(0f);
        scales = scales.reshape(-1);
        if (scales.size() != blockCount) {
            scales = scales.get(new NDIndex(":{}", blockCount));
        }
        scales = scales.reshape(blockCount, 1);
        return format == QuantFormat.INT8 ? scales.mul(QuantizedWeight.INT8_STEP_PER_ABSMAX) : scales;
    }

    /** Drops the padding of a partial last block and restores the weight's shape. */
    private NDArray trimToShape(NDArray blocks) {
        NDArray flat = blocks.reshape(-1);
        if (flat.size() != elementCount) {
            flat = flat.get(new NDIndex(":{}", elementCount));
        }
        return flat.reshape(shape);
    }

    private NDArray uploadCodes(QuantizedWeight weight) {
        byte[] stored = weight.codesView();
        return switch (format) {
            case FP32 -> resident.create(weight.dequantize().data(), shape);
            case FP16 -> resident.create(nativeShorts(stored), shape, DataType.FLOAT16);
            case BF16 -> uploadBf16(stored);
            case INT8 -> resident.create(direct(stored, blockCount * blockSize, (byte) 0),
                    new Shape(blockCount, blockSize), DataType.INT8);
            case NF4 -> uploadNf4(stored);
        };
    }

    private NDArray uploadBf16(byte[] stored) {
        bf16HighTable = keep(resident.create(bf16HighFactors()));
        bf16LowTable = keep(resident.create(bf16LowFactors()));
        // The stored layout is little-endian, so byte 2i is the low and 2i+1 the high byte.
        return resident.create(direct(stored, stored.length, (byte) 0), new Shape(elementCount, 2), DataType.UINT8);
    }

    private NDArray uploadNf4(byte[] stored) {
        pairLevels = keep(resident.create(nf4PairLevels(), new Shape(BYTE_VALUES, 2)));
        byte zeroPair = (byte) (NormalFloat4.ZERO_CODE << 4 | NormalFloat4.ZERO_CODE);
        int paddedBytes = blockCount * blockSize / 2;
        return resident.create(direct(stored, paddedBytes, zeroPair), new Shape(paddedBytes), DataType.UINT8);
    }

    private void uploadScales(QuantizedWeight weight) {
        DoubleQuantizedScales doubleQuantized = weight.doubleQuantizedScales();
        if (doubleQuantized == null) {
            float[] factors = weight.floatScalesView().clone();
            if (format == QuantFormat.INT8) {
                for (int b = 0; b < factors.length; b++) {
                    factors[b] *= QuantizedWeight.INT8_STEP_PER_ABSMAX;
                }
            }
            blockFactors = keep(resident.create(factors, new Shape(blockCount, 1)));
            return;
        }
        int groups = doubleQuantized.groupCount();
        int padded = groups * DoubleQuantizedScales.GROUP_SIZE;
        scaleCodes = keep(resident.create(direct(doubleQuantized.codesView(), padded, (byte) 0),
                new Shape(groups, DoubleQuantizedScales.GROUP_SIZE), DataType.INT8));
        scaleSteps = keep(resident.create(doubleQuantized.stepsView(), new Shape(groups, 1)));
        scaleMean = doubleQuantized.mean();
    }

    private NDArray keep(NDArray array) {
        residentArrays.add(array);
        return array;
    }

    /** {@code [256, 2]}: for each byte value, the NF4 levels of its high and its low nibble. */
    static float[] nf4PairLevels() {
        float[] table = new float[BYTE_VALUES * 2];
        for (int b = 0; b < BYTE_VALUES; b++) {
            table[2 * b] = NormalFloat4.level(b >>> 4);
            table[2 * b + 1] = NormalFloat4.level(b & 0x0F);
        }
        return table;
    }

    /** Sign and the upper 7 exponent bits: {@code ±2^(2e - 127)}, or ±0 where e is 0 (flushed range). */
    static float[] bf16HighFactors() {
        float[] table = new float[BYTE_VALUES];
        for (int b = 0; b < BYTE_VALUES; b++) {
            int exponentBits = b & 0x7F;
            float magnitude = exponentBits == 0 ? 0f : Math.scalb(1f, 2 * exponentBits - 127);
            table[b] = (b & 0x80) != 0 ? -magnitude : magnitude;
        }
        return table;
    }

    /** The lowest exponent bit and the 7 mantissa bits: {@code 2^bit · (1 + m/128)}. */
    static float[] bf16LowFactors() {
        float[] table = new float[BYTE_VALUES];
        for (int b = 0; b < BYTE_VALUES; b++) {
            table[b] = Math.scalb(1f + (b & 0x7F) / 128f, b >>> 7);
        }
        return table;
    }

    /** A direct buffer holding {@code bytes}, padded with {@code fill} to {@code length}. */
    private static ByteBuffer direct(byte[] bytes, int length, byte fill) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(length);
        buffer.put(bytes, 0, Math.min(bytes.length, length));
        while (buffer.hasRemaining()) {
            buffer.put(fill);
        }
        return buffer.rewind();
    }

    /** Little-endian 16-bit values re-laid in the platform's order, as native code reads them. */
    private static ByteBuffer nativeShorts(byte[] littleEndian) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(littleEndian.length).order(ByteOrder.nativeOrder());
        buffer.asShortBuffer().put(ByteBuffer.wrap(littleEndian).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer());
        return buffer;
    }
}
