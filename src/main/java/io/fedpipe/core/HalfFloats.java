package io.fedpipe.core;

/**
 * Bit-exact conversions between float32 and the two 16-bit float formats.
 *
 * <p>Java 17 has no {@code Float.floatToFloat16} (added in Java 20), so both directions are written
 * here. Narrowing rounds to nearest, ties to even, as IEEE 754 and PyTorch do. Values whose
 * rounded magnitude exceeds the target range become infinities; callers that must not produce them
 * check with {@link #isFinite16}.
 */
public final class HalfFloats {

    /** Exponent field mask of bfloat16. */
    public static final int BF16_EXPONENT_MASK = 0x7F80;
    /** Exponent field mask of IEEE binary16. */
    public static final int FP16_EXPONENT_MASK = 0x7C00;

    private static final int FLOAT_SIGN = 0x8000_0000;
    private static final int FLOAT_ABS = 0x7FFF_FFFF;
    private static final int FLOAT_INF = 0x7F80_0000;
    /** 65520.0f: the midpoint between 65504 (largest half) and 2^16; it and above round to infinity. */
    private static final int HALF_OVERFLOW_FLOAT = 0x477F_F000;
    /** 2^-14, the smallest normal half. */
    private static final int HALF_MIN_NORMAL_FLOAT = 0x3880_0000;
    private static final int HALF_INF = 0x7C00;
    private static final int HALF_NAN = 0x7E00;
    /** Exponent rebias from float (127) to half (15), placed at the half exponent field. */
    private static final int REBIAS = (127 - 15) << 10;

    private HalfFloats() {}

    /** The bfloat16 bit pattern nearest to {@code value} (ties to even); NaN stays a quiet NaN. */
    public static short toBfloat16Bits(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & FLOAT_ABS) > FLOAT_INF) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        // Adding 0x7FFF plus the lowest kept bit carries into the kept half exactly when the
        // dropped half is above the midpoint, or at it with an odd kept half (ties to even).
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** The float32 value of a bfloat16 bit pattern (exact: bfloat16 is float32's upper half). */
    public static float fromBfloat16Bits(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** The IEEE binary16 bit pattern nearest to {@code value} (ties to even), subnormals included. */
    public static short toFloat16Bits(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits & FLOAT_SIGN) >>> 16;
        int abs = bits & FLOAT_ABS;
        if (abs > FLOAT_INF) {
            return (short) (sign | HALF_NAN);
        }
        if (abs >= HALF_OVERFLOW_FLOAT) {
            return (short) (sign | HALF_INF);
        }
        if (abs < HALF_MIN_NORMAL_FLOAT) {
            // Subnormal half: a multiple of 2^-24. The product is exact in double and rint rounds
            // ties to even; a result of 1024 is the bit pattern of the smallest normal, as wanted.
            int units = (int) Math.rint(Float.intBitsToFloat(abs) * 0x1p24);
            return (short) (sign | units);
        }
        int half = ((abs >>> 13) - REBIAS);
        int dropped = abs & 0x1FFF;
        if (dropped > 0x1000 || (dropped == 0x1000 && (half & 1) == 1)) {
            half++; // a carry out of the mantissa correctly increments the exponent
        }
        return (short) (sign | half);
    }

    /** The float32 value of an IEEE binary16 bit pattern (exact). */
    public static float fromFloat16Bits(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | FLOAT_INF | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** Whether a 16-bit pattern (either format, given its exponent mask) is a finite number. */
    public static boolean isFinite16(short bits, int exponentMask) {
        return (bits & exponentMask) != exponentMask;
    }
}
