package io.fedpipe.quant;

import io.fedpipe.core.HalfFloats;
import io.fedpipe.core.HostTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A frozen weight in its stored (host, heap) form: codes plus, for block formats, per-block scales.
 *
 * <p>Elements are taken in row-major order and cut into blocks of {@link #blockSize()} consecutive
 * values; the last block may be partial. Byte layouts of {@link #codes()}:
 * <ul>
 *   <li>{@code FP32}: 4 bytes per value, IEEE float32, little-endian;</li>
 *   <li>{@code BF16}: 2 bytes per value, the upper half of the float32 bits rounded to nearest even,
 *       little-endian; magnitudes below 2^-125 are flushed to signed zero (see
 *       {@link DeviceQuantizedWeight} for why);</li>
 *   <li>{@code FP16}: 2 bytes per value, IEEE binary16 rounded to nearest even, little-endian;</li>
 *   <li>{@code INT8}: 1 signed byte per value, {@code rint(127 · x / absmax)} with absmax the largest
 *       magnitude of the block (with double quantization: the decoded scale, codes clamped to ±127); decoded as {@code code · (absmax · (1/127))} in float32;</li>
 *   <li>{@code NF4}: 4 bits per value, two per byte, the earlier element in the high nibble (as
 *       bitsandbytes); the code indexes {@link NormalFloat4}'s levels of {@code x / absmax}; decoded as
 *       {@code level · absmax}; an odd count leaves the last low nibble at the zero code.</li>
 * </ul>
 * Block absmax scales are float32, or double-quantized to 8 bits ({@link DoubleQuantizedScales}).
 * An all-zero block has scale 0 and zero codes, so it decodes to zeros. Zeros in the input decode to
 * exactly 0.0 in every format. Instances are immutable.
 */
public final class QuantizedWeight {

    private static final int INT8_CODE_MAX = 127;
    /**
     * INT8 decodes with {@code code · (absmax · (1/127))}: a multiply rather than a division, so
     * that the device decoder, which multiplies too, yields the same bits.
     */
    static final float INT8_STEP_PER_ABSMAX = 1f / INT8_CODE_MAX;
    /** BF16 bits with an exponent field of at most 1, i.e. magnitudes below 2^-125. */
    private static final int BF16_FLUSH_LIMIT = 0x0080;

    private final QuantFormat format;
    private final long[] shape;
    private final int elementCount;
    private final int blockSize;
    private final byte[] codes;
    private final float[] blockScales;
    private final DoubleQuantizedScales doubleQuantizedScales;

    private QuantizedWeight(QuantFormat format, long[] shape, int elementCount, int blockSize, byte[] codes,
            float[] blockScales, DoubleQuantizedScales doubleQuantizedScales) {
        this.format = format;
        this.shape = shape;
        this.elementCount = elementCount;
        this.blockSize = blockSize;
        this.codes = codes;
        this.blockScales = blockScales;
        this.doubleQuantizedScales = doubleQuantizedScales;
    }

    /**
     * Quantizes a weight.
     *
     * @throws IllegalArgumentException if the tensor is empty, holds a NaN or infinity, or a value
     *     outside the range of the 16-bit float format asked for; the message names the element
     */
    public static QuantizedWeight quantize(HostTensor weight, QuantFormat format, QuantOptions options) {
        Objects.requireNonNull(weight, "weight");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(options, "options");
        float[] data = weight.data();
        long[] shape = weight.shape();
        if (data.length == 0) {
            throw new IllegalArgumentException("cannot quantize an empty tensor of shape " + Arrays.toString(shape));
        }
        requireFinite(data, shape);
        return switch (format) {
            case FP32 -> new QuantizedWeight(format, shape, data.length, 0, encodeFp32(data), null, null);
            case BF16 -> new QuantizedWeight(format, shape, data.length, 0, encodeBf16(data, shape), null, null);
            case FP16 -> new QuantizedWeight(format, shape, data.length, 0, encodeFp16(data, shape), null, null);
            case INT8, NF4 -> quantizeBlocks(data, shape, format, options);
        };
    }

    /** The weight decoded to float32, in its original shape. */
    public HostTensor dequantize() {
        float[] out = new float[elementCount];
        switch (format) {
            case FP32 -> littleEndian(codes).asFloatBuffer().get(out);
            case BF16 -> decodeShorts(out, true);
            case FP16 -> decodeShorts(out, false);
            case INT8 -> decodeInt8(out);
            case NF4 -> decodeNf4(out);
        }
        return new HostTensor(shape.clone(), out);
    }

    /** Bytes really stored: codes, float32 scales or their 8-bit codes, group steps and mean. */
    public long storageBytes() {
        long scaleBytes = blockScales != null ? 4L * blockScales.length : 0L;
        long doubleQuantBytes = doubleQuantizedScales != null ? doubleQuantizedScales.storageBytes() : 0L;
        return codes.length + scaleBytes + doubleQuantBytes;
    }

    /** {@link #storageBytes()} per element of the weight. */
    public double bytesPerParameter() {
        return (double) storageBytes() / elementCount;
    }

    public QuantFormat format() {
        return format;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int elementCount() {
        return elementCount;
    }

    /** Elements per scale block; 0 for the float formats, which have no blocks. */
    public int blockSize() {
        return blockSize;
    }

    /** Number of blocks (the last may be partial); 0 for the float formats. */
    public int blockCount() {
        return blockSize == 0 ? 0 : (elementCount + blockSize - 1) / blockSize;
    }

    /** Whether the block scales are stored double-quantized. */
    public boolean doubleQuantized() {
        return doubleQuantizedScales != null;
    }

    /** A copy of the packed codes, laid out as the class documentation says. */
    public byte[] codes() {
        return codes.clone();
    }

    /**
     * The absmax scale of each block as the decoder uses it (after double quantization, if any);
     * empty for the float formats.
     */
    public float[] blockScales() {
        if (doubleQuantizedScales != null) {
            return doubleQuantizedScales.decode();
        }
        return blockScales != null ? blockScales.clone() : new float[0];
    }

    /** The packed codes without a copy; the caller must not modify them. */
    byte[] codesView() {
        return codes;
    }

    /** The float32 block scales without a copy, or null when absent or double-quantized. */
    float[] floatScalesView() {
        return blockScales;
    }

    /** The double-quantized scales, or null. */
    DoubleQuantizedScales doubleQuantizedScales() {
        return doubleQuantizedScales;
    }

    @Override
    public String toString() {
        return "QuantizedWeight[" + format.configName() + ", shape=" + Arrays.toString(shape)
                + (blockSize > 0 ? ", block=" + blockSize : "") + (doubleQuantized() ? ", double-quant" : "")
                + ", bytes=" + storageBytes() + "]";
    }

    private static QuantizedWeight quantizeBlocks(float[] data, long[] shape, QuantFormat format, QuantOptions options) {
        int blockSize = options.blockSize();
        int blocks = (data.length + blockSize - 1) / blockSize;
        float[] absmax = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            absmax[b] = absmax(data, b * blockSize, Math.min(data.length, (b + 1) * blockSize));
        }
        DoubleQuantizedScales doubleQuantized = options.doubleQuantScales() ? DoubleQuantizedScales.quantize(absmax) : null;
        // Codes are chosen against the scale the decoder will use, so that with double quantization
        // each element still gets the nearest representable value.
        float[] decodeScales = doubleQuantized != null ? doubleQuantized.decode() : absmax;
        byte[] codes = format == QuantFormat.INT8
                ? encodeInt8(data, decodeScales, blockSize)
                : encodeNf4(data, decodeScales, blockSize);
        return new QuantizedWeight(format, shape, data.length, blockSize, codes,
                doubleQuantized != null ? null : absmax, doubleQuantized);
    }

    private static float absmax(float[] data, int from, int to) {
        float max = 0f;
        for (int i = from; i < to; i++) {
            max = Math.max(max, Math.abs(data[i]));
        }
        return max;
    }

    private static byte[] encodeInt8(float[] data, float[] scales, int blockSize) {
        byte[] codes = new byte[data.length];
        for (int i = 0; i < data.length; i++) {
            float scale = scales[i / blockSize];
            // An all-zero block keeps code 0 rather than dividing by a zero scale. A double-quantized
            // scale may fall below the block's absmax: the clamp saturates those elements.
            if (scale > 0f) {
                double code = Math.rint(INT8_CODE_MAX * (double) data[i] / scale);
                codes[i] = (byte) Math.max(-INT8_CODE_MAX, Math.min(INT8_CODE_MAX, code));
            }
        }
        return codes;
    }

    private static byte[] encodeNf4(float[] data, float[] scales, int blockSize) {
        byte[] packed = new byte[(data.length + 1) / 2];
        for (int i = 0; i < data.length; i += 2) {
            int high = nf4Code(data[i], scales[i / blockSize]);
            int low = i + 1 < data.length ? nf4Code(data[i + 1], scales[(i + 1) / blockSize]) : NormalFloat4.ZERO_CODE;
            packed[i / 2] = (byte) ((high << 4) | low);
        }
        return packed;
    }

    private static int nf4Code(float value, float scale) {
        return scale > 0f ? NormalFloat4.nearestCode(value / scale) : NormalFloat4.ZERO_CODE;
    }

    private static byte[] encodeFp32(float[] data) {
        byte[] bytes = new byte[Math.multiplyExact(data.length, Float.BYTES)];
        littleEndian(bytes).asFloatBuffer().put(data);
        return bytes;
    }

    private static byte[] encodeBf16(float[] data, long[] shape) {
        short[] bits = new short[data.length];
        for (int i = 0; i < data.length; i++) {
            short b = HalfFloats.toBfloat16Bits(data[i]);
            requireInRange(b, HalfFloats.BF16_EXPONENT_MASK, data, i, shape, "BF16", "3.3895314e38");
            // The device decoder multiplies two 256-entry tables, which cannot express exponent
            // fields 0 and 1; values that small (< 2.4e-38) are flushed to zero on both sides.
            if ((b & HalfFloats.BF16_EXPONENT_MASK) <= BF16_FLUSH_LIMIT) {
                b = (short) (b & 0x8000);
            }
            bits[i] = b;
        }
        return shortsToBytes(bits);
    }

    private static byte[] encodeFp16(float[] data, long[] shape) {
        short[] bits = new short[data.length];
        for (int i = 0; i < data.length; i++) {
            bits[i] = HalfFloats.toFloat16Bits(data[i]);
            requireInRange(bits[i], HalfFloats.FP16_EXPONENT_MASK, data, i, shape, "FP16", "65504");
        }
        return shortsToBytes(bits);
    }

    private static void requireInRange(short bits, int exponentMask, float[] data, int index, long[] shape,
            String formatName, String largest) {
        if (!HalfFloats.isFinite16(bits, exponentMask)) {
            throw new IllegalArgumentException("weight element " + position(shape, index) + " = " + data[index]
                    + " is outside the " + formatName + " range (largest finite " + largest
                    + "); use a wider format");
        }
    }

    private static byte[] shortsToBytes(short[] bits) {
        byte[] bytes = new byte[Math.multiplyExact(bits.length, Short.BYTES)];
        littleEndian(bytes).asShortBuffer().put(bits);
        return bytes;
    }

    private void decodeShorts(float[] out, boolean bfloat16) {
        var shorts = littleEndian(codes).asShortBuffer();
        for (int i = 0; i < out.length; i++) {
            short bits = shorts.get(i);
            out[i] = bfloat16 ? HalfFloats.fromBfloat16Bits(bits) : HalfFloats.fromFloat16Bits(bits);
        }
    }

    private void decodeInt8(float[] out) {
        float[] scales = blockScales();
        for (int i = 0; i < out.length; i++) {
            float step = scales[i / blockSize] * INT8_STEP_PER_ABSMAX;
            out[i] = codes[i] * step;
        }
    }

    private void decodeNf4(float[] out) {
        float[] scales = blockScales();
        for (int i = 0; i < out.length; i++) {
            int packed = codes[i / 2] & 0xFF;
            int code = (i & 1) == 0 ? packed >>> 4 : packed & 0x0F;
            out[i] = NormalFloat4.level(code) * scales[i / blockSize];
        }
    }

    private static ByteBuffer littleEndian(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void requireFinite(float[] data, long[] shape) {
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                throw new IllegalArgumentException("weight element " + position(shape, i) + " is " + data[i]
                        + "; quantization needs finite values (check the checkpoint or the training run that produced it)");
            }
        }
    }

    /** The multi-index of a row-major flat index, e.g. {@code [3, 17]}. */
    static String position(long[] shape, long flatIndex) {
        long[] index = new long[shape.length];
        long rest = flatIndex;
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            index[axis] = rest % shape[axis];
            rest /= shape[axis];
        }
        return Arrays.toString(index);
    }
}
