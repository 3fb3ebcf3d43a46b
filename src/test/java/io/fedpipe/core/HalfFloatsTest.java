package io.fedpipe.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    @Test
    void float16HandPickedValues() {
        assertEquals(0x3C00, bits16(1.0f));
        assertEquals(0xC000, bits16(-2.0f));
        assertEquals(0x7BFF, bits16(65504f));
        assertEquals(0x7BFF, bits16(65519.996f), "just below the overflow midpoint rounds down to the largest half");
        assertEquals(0x7C00, bits16(65520f), "the midpoint to 2^16 ties to even, which is infinity");
        assertEquals(0x0400, bits16(0x1p-14f), "smallest normal");
        assertEquals(0x0001, bits16(0x1p-24f), "smallest subnormal");
        assertEquals(0x0000, bits16(0x1p-25f), "half the smallest subnormal ties to even zero");
        assertEquals(0x0002, bits16(0x1.8p-24f), "1.5 units tie to 2");
        assertEquals(0x3C00, bits16(1f + 0x1p-11f), "tie between 1 and 1+2^-10 goes to even 1");
        assertEquals(0x3C02, bits16(1f + 0x1.8p-10f), "tie between 1+2^-10 and 1+2^-9 goes to even 1+2^-9");
        assertEquals(0x8000, bits16(-0.0f));
        assertEquals(0x03FF, bits16(0x1.FF8p-15f), "largest subnormal");
        assertEquals(0x0400, bits16(0x1.FFCp-15f), "rounds up from the largest subnormal into the smallest normal");
    }

    @Test
    void float16RoundTripsEveryFiniteValueAndRoundsMidpointsToEven() {
        for (int h = 0; h < 0x10000; h++) {
            if ((h & 0x7C00) == 0x7C00) {
                continue;
            }
            float value = HalfFloats.fromFloat16Bits((short) h);
            assertEquals(h, bits16(value), "round trip of 0x" + Integer.toHexString(h));
            int next = h + 1;
            if ((h & 0x7FFF) == 0x7BFF || (h & 0x7FFF) == 0x7FFF) {
                continue;
            }
            float upper = HalfFloats.fromFloat16Bits((short) next);
            // Both neighbours are exact in float32 and so is their midpoint (fewer than 24 significant bits).
            float midpoint = (value + upper) / 2f;
            int even = (h & 1) == 0 ? h : next;
            assertEquals(even, bits16(midpoint), "midpoint after 0x" + Integer.toHexString(h));
            assertEquals(h, bits16(Math.nextDown(Math.abs(midpoint)) * Math.signum(value == 0f ? upper : value)),
                    "just below the midpoint after 0x" + Integer.toHexString(h));
            assertEquals(next, bits16(Math.nextUp(Math.abs(midpoint)) * Math.signum(value == 0f ? upper : value)),
                    "just above the midpoint after 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void bfloat16RoundsToNearestEven() {
        assertEquals(0x3F80, bitsBf(1.0f));
        assertEquals(0x3F80, bitsBf(1f + 0x1p-8f), "tie goes to the even 1.0");
        assertEquals(0x3F82, bitsBf(1f + 0x1.8p-7f), "tie between 1+2^-7 and 1+2^-6 goes to even 1+2^-6");
        assertEquals(0x3F81, bitsBf(1f + 0x1p-7f + 0x1p-20f), "below the tie rounds down");
        assertEquals(0x3F81, bitsBf(1f + 0x1p-8f + 0x1p-20f), "above the tie rounds up");
        assertEquals(0xC049, bitsBf(-(float) Math.PI), "pi = 0x40490FDB: dropped 0x0FDB is below half");
        assertEquals(0x7F80, bitsBf(Float.MAX_VALUE), "the largest float rounds up to infinity");
        assertEquals(0x8000, bitsBf(-0.0f));
        assertEquals(-2.0f, HalfFloats.fromBfloat16Bits((short) 0xC000));
        assertEquals(Float.NaN, HalfFloats.fromBfloat16Bits(HalfFloats.toBfloat16Bits(Float.NaN)));
    }

    private static int bits16(float value) {
        return HalfFloats.toFloat16Bits(value) & 0xFFFF;
    }

    private static int bitsBf(float value) {
        return HalfFloats.toBfloat16Bits(value) & 0xFFFF;
    }
}
