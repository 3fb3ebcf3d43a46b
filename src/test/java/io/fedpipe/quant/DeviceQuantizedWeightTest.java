package io.fedpipe.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.fedpipe.core.HostTensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DeviceQuantizedWeightTest {

    private static NDManager base;

    @BeforeAll
    static void startEngine() {
        base = NDManager.newBaseManager();
    }

    @AfterAll
    static void stopEngine() {
        base.close();
    }

    @Test
    void deviceDecodeEqualsHostDecodeBitForBitInEveryFormat() {
        // 300·70 = 21000 elements: 329 blocks of 64, the last holding 8; 2 groups of double-quantized
        // scales, the second partial. Zeros and an all-zero block are mixed in.
        float[] data = QuantizedWeightTest.gaussian(300, 70, 0.02, 7).data();
        for (int i = 0; i < data.length; i += 11) {
            data[i] = 0f;
        }
        java.util.Arrays.fill(data, 128, 192, 0f);
        HostTensor weight = new HostTensor(new long[] {300, 70}, data);
        for (QuantFormat format : QuantFormat.values()) {
            for (boolean doubleQuant : new boolean[] {false, true}) {
                assertDeviceMatchesHost(QuantizedWeight.quantize(weight, format, new QuantOptions(64, doubleQuant)));
            }
        }
    }

    @Test
    void oddCountsAndTinyAndLargeValuesDecodeAlikeOnBothSides() {
        float[] special = {0f, -0f, 1e-39f, -0x1.FCp-126f, 0x1p-125f, 3e-38f, 6e-8f, -3e-5f, 1e30f, -3e38f, 65504f, 1f, -2f};
        HostTensor wide = new HostTensor(new long[] {special.length}, special);
        assertDeviceMatchesHost(QuantizedWeight.quantize(wide, QuantFormat.BF16, QuantOptions.defaults()));
        assertDeviceMatchesHost(QuantizedWeight.quantize(wide, QuantFormat.FP32, QuantOptions.defaults()));
        float[] halfRange = java.util.Arrays.copyOf(special, 13);
        halfRange[8] = 1000f;
        halfRange[9] = -60000f;
        HostTensor narrow = new HostTensor(new long[] {1, 13}, halfRange);
        for (QuantFormat format : QuantFormat.values()) {
            assertDeviceMatchesHost(QuantizedWeight.quantize(narrow, format, new QuantOptions(4, false)));
            assertDeviceMatchesHost(QuantizedWeight.quantize(narrow, format, new QuantOptions(4, true)));
        }
    }

    @Test
    void decodingLeavesNothingInTheLongLivedManager() {
        HostTensor weight = QuantizedWeightTest.gaussian(64, 96, 0.02, 3);
        try (NDManager longLived = base.newSubManager()) {
            for (QuantFormat format : QuantFormat.values()) {
                try (DeviceQuantizedWeight device = new DeviceQuantizedWeight(
                        QuantizedWeight.quantize(weight, format, QuantOptions.qlora()), longLived)) {
                    int resident = longLived.getManagedArrays().size();
                    try (NDManager step = base.newSubManager()) {
                        // Two decodes in one step, as the per-layer recompute of the backward pass does.
                        NDArray first = device.dequantize(step);
                        NDArray second = device.dequantize(step);
                        assertEquals(resident, longLived.getManagedArrays().size(), format + ": long-lived manager grew");
                        assertEquals(2, step.getManagedArrays().size(), format + ": only the two results belong to the step");
                        assertSame(step, first.getManager());
                        assertEquals(DataType.FLOAT32, second.getDataType());
                        assertEquals(new Shape(64, 96), second.getShape());
                    }
                    assertEquals(resident, longLived.getManagedArrays().size(), format + " after the step closed");
                    assertArrayEquals(weight.shape(), device.shape().getShape());
                }
                assertEquals(0, longLived.getManagedArrays().size(), format + ": close() must free the device copy");
            }
        }
    }

    @Test
    void aStepScopeUnderTheLongLivedManagerGetsOnlyTheResult() {
        HostTensor weight = QuantizedWeightTest.gaussian(16, 64, 0.02, 9);
        try (NDManager longLived = base.newSubManager();
                DeviceQuantizedWeight device = new DeviceQuantizedWeight(
                        QuantizedWeight.quantize(weight, QuantFormat.NF4, QuantOptions.defaults()), longLived)) {
            int resident = longLived.getManagedArrays().size();
            try (NDManager step = longLived.newSubManager()) {
                NDArray decoded = device.dequantize(step);
                assertEquals(1, step.getManagedArrays().size());
                assertEquals(resident + 1, longLived.getManagedArrays().size(), "the result, counted through the step");
                assertEquals(16 * 64, decoded.size());
            }
            assertEquals(resident, longLived.getManagedArrays().size());
            try (NDManager nextStep = longLived.newSubManager()) {
                assertArrayEquals(device.dequantize(nextStep).toFloatArray(),
                        QuantizedWeight.quantize(weight, QuantFormat.NF4, QuantOptions.defaults()).dequantize().data(),
                        "the resident arrays survive the previous step's close");
            }
        }
    }

    @Test
    void deviceBytesCountCodesPaddingScalesAndTables() {
        HostTensor weight = QuantizedWeightTest.gaussian(256, 384, 0.02, 5);
        long n = 256 * 384;
        assertDeviceBytes(weight, QuantFormat.FP32, false, 4 * n);
        assertDeviceBytes(weight, QuantFormat.FP16, false, 2 * n);
        assertDeviceBytes(weight, QuantFormat.BF16, false, 2 * n + 2 * 256 * 4);
        assertDeviceBytes(weight, QuantFormat.INT8, false, n + 1536 * 4);
        assertDeviceBytes(weight, QuantFormat.NF4, false, n / 2 + 256 * 2 * 4 + 1536 * 4);
        // Double quantization: 1536 scale codes (6 whole groups) and 6 float steps; the mean stays on the heap.
        assertDeviceBytes(weight, QuantFormat.NF4, true, n / 2 + 256 * 2 * 4 + 1536 + 6 * 4);
        HostTensor partial = QuantizedWeightTest.gaussian(3, 30, 0.02, 5);
        // 90 elements: two blocks of 64, padded to 128 on the device.
        assertDeviceBytes(partial, QuantFormat.INT8, false, 128 + 2 * 4);
        assertDeviceBytes(partial, QuantFormat.NF4, true, 64 + 256 * 2 * 4 + 256 + 4);
    }

    @Test
    void closedWeightRefusesToDecode() {
        DeviceQuantizedWeight device = new DeviceQuantizedWeight(QuantizedWeight.quantize(
                QuantizedWeightTest.gaussian(2, 8, 0.02, 1), QuantFormat.NF4, QuantOptions.defaults()), base);
        device.close();
        device.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> device.dequantize(base));
        assertEquals("dequantize called on a closed DeviceQuantizedWeight (2, 8)", e.getMessage());
    }

    private static void assertDeviceBytes(HostTensor weight, QuantFormat format, boolean doubleQuant, long expected) {
        try (DeviceQuantizedWeight device = new DeviceQuantizedWeight(
                QuantizedWeight.quantize(weight, format, new QuantOptions(64, doubleQuant)), base)) {
            assertEquals(expected, device.deviceBytes(), format + " dq=" + doubleQuant);
        }
    }

    private static void assertDeviceMatchesHost(QuantizedWeight weight) {
        HostTensor host = weight.dequantize();
        try (NDManager longLived = base.newSubManager();
                DeviceQuantizedWeight device = new DeviceQuantizedWeight(weight, longLived);
                NDManager step = base.newSubManager()) {
            NDArray decoded = device.dequantize(step);
            assertEquals(DataType.FLOAT32, decoded.getDataType(), weight.toString());
            assertArrayEquals(host.shape(), decoded.getShape().getShape(), weight.toString());
            // assertArrayEquals compares float bits: signed zeros and every last ulp must agree.
            assertArrayEquals(host.data(), decoded.toFloatArray(), weight.toString());
        }
    }
}
