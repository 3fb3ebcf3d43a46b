package io.fedpipe.model.hf;

/**
 * Exact widening of the two 16-bit float formats to float32 (Java 17 has no
 * {@code Float.float16ToFloat}).
 *
 * <p>IEEE 754 binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits. bfloat16 is the upper
 * half of a float32 (1 sign, 8 exponent, 7 mantissa bits), so widening is a shift.
 */
final class HalfFloats {

    private HalfFloats() {}

    static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h >>> 15) << 31;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0) {
            // Zero or subnormal: mantissa * 2^-24, exact in float32.
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        if (exponent == 0x1f) {
            // Infinity (mantissa 0) or NaN, keeping the payload bits.
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }

    static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }
}
