package io.fedpipe.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class QuantFormatTest {

    @Test
    void parsesEveryNameIgnoringCaseAndBlanks() {
        assertEquals(QuantFormat.FP32, QuantFormat.parse("fp32"));
        assertEquals(QuantFormat.BF16, QuantFormat.parse("BF16"));
        assertEquals(QuantFormat.FP16, QuantFormat.parse(" Fp16 "));
        assertEquals(QuantFormat.INT8, QuantFormat.parse("Int8"));
        assertEquals(QuantFormat.NF4, QuantFormat.parse("nF4"));
    }

    @Test
    void unknownNameListsTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QuantFormat.parse("int4"));
        assertEquals("unknown quantization format 'int4'; valid values: fp32, bf16, fp16, int8, nf4", e.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> QuantFormat.parse(null));
        assertTrue(none.getMessage().contains("'null'"), none.getMessage());
    }

    @Test
    void bitsPerValueAndBlockScaling() {
        assertEquals(32, QuantFormat.FP32.bitsPerValue());
        assertEquals(16, QuantFormat.BF16.bitsPerValue());
        assertEquals(16, QuantFormat.FP16.bitsPerValue());
        assertEquals(8, QuantFormat.INT8.bitsPerValue());
        assertEquals(4, QuantFormat.NF4.bitsPerValue());
        assertTrue(QuantFormat.NF4.blockScaled() && QuantFormat.INT8.blockScaled());
        assertTrue(!QuantFormat.FP32.blockScaled() && !QuantFormat.BF16.blockScaled() && !QuantFormat.FP16.blockScaled());
    }

    @Test
    void optionsNeedAPositiveEvenBlockSize() {
        assertEquals(new QuantOptions(64, false), QuantOptions.defaults());
        assertEquals(new QuantOptions(64, true), QuantOptions.qlora());
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class, () -> new QuantOptions(63, false));
        assertTrue(odd.getMessage().contains("positive even") && odd.getMessage().endsWith("got 63"), odd.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new QuantOptions(0, false));
        assertThrows(IllegalArgumentException.class, () -> new QuantOptions(-64, true));
    }
}
