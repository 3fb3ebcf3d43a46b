package io.fedpipe.planning;

import io.fedpipe.quant.QuantFormat;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a kind of device offers a training step: memory, peak throughput, and how much of it a
 * LoRA step really gets.
 *
 * <p>Peak values are published spec-sheet values (dense, without structured sparsity); only
 * {@code cpu-2core} was measured, on this project's machine. Achieved throughput is
 * {@code peak × mfu × tokens / (tokens + halfUtilizationTokens)}: the last factor models that a
 * wide device is under-used by small batches (a GPU needs thousands of rows per matmul to fill
 * its SMs). The CPU ran the MiniLM step's small matrices at its 1024³ rate, but each step also
 * pays fixed costs (the optimizer update, per-operation dispatch): 64 tokens, an assumption.
 *
 * @param name                  preset name, as in cluster files
 * @param memoryBytes           device memory (0 for {@code cpu-2core}: the cluster file must give it)
 * @param fp32Tflops            peak FP32 TFLOP/s (CUDA cores on GPUs; no TF32)
 * @param halfTflops            peak 16-bit tensor TFLOP/s with FP32 accumulate; 0 when the device has no
 *                              16-bit compute path worth using (the CPU here: BF16 is storage only)
 * @param mfu                   fraction of peak a large LoRA step achieves
 * @param halfUtilizationTokens batch·seq at which half of {@code peak × mfu} is reached
 * @param reserveFraction       share of memory the planner never uses (runtime context, fragmentation)
 * @param floatBytes            bytes of activations and of the non-linear parameters (4 on the CPU here,
 *                              2 with mixed precision on GPUs) when the base is not FP32
 * @param slowdown              step-time factor per base format against the FP32 whole-graph step
 *                              (or the 16-bit whole-graph step on GPUs): dequantization plus per-block
 *                              recompute, which every non-FP32 base uses
 */
public record DevicePreset(String name, long memoryBytes, double fp32Tflops, double halfTflops, double mfu,
                           double halfUtilizationTokens, double reserveFraction, int floatBytes,
                           Map<QuantFormat, Double> slowdown) {

    private static final double GB = 1e9;
    private static final Map<String, DevicePreset> PRESETS = presets();

    public DevicePreset {
        if (!(fp32Tflops > 0) || halfTflops < 0 || !(mfu > 0 && mfu <= 1) || halfUtilizationTokens < 0
                || !(reserveFraction >= 0 && reserveFraction < 1) || memoryBytes < 0) {
            throw new IllegalArgumentException("device '" + name + "' has an invalid value");
        }
        if (!slowdown.keySet().containsAll(List.of(QuantFormat.values()))) {
            throw new IllegalArgumentException("device '" + name + "' lacks a slowdown for some format");
        }
        slowdown = Map.copyOf(slowdown);
    }

    /** A built-in device by name; see {@link #presetNames()}. */
    public static DevicePreset preset(String name) {
        DevicePreset d = PRESETS.get(name.strip().toLowerCase(Locale.ROOT));
        if (d == null) {
            throw new IllegalArgumentException("unknown device preset '" + name + "'; valid: " + String.join(", ", presetNames()));
        }
        return d;
    }

    public static List<String> presetNames() {
        return List.copyOf(PRESETS.keySet());
    }

    /** Peak TFLOP/s of the path a base stored in {@code format} computes on. */
    public double peakTflops(QuantFormat format) {
        return format == QuantFormat.FP32 || halfTflops == 0 ? fp32Tflops : halfTflops;
    }

    /** Bytes of an activation or a non-linear parameter when the base is stored in {@code format}. */
    public int floatBytes(QuantFormat format) {
        return format == QuantFormat.FP32 ? 4 : floatBytes;
    }

    private static Map<String, DevicePreset> presets() {
        // Measured on this machine (BENCHMARKS, `./fedpipe bench step`, MiniLM, 2 threads): per-block
        // recompute NF4 1.54×, INT8 1.43×, BF16 1.68× the FP32 whole-graph step; FP16 is BF16's path.
        Map<QuantFormat, Double> cpu = slowdowns(1.0, 1.68, 1.68, 1.43, 1.54);
        // Assumed for GPUs: the 16-bit base runs one extra forward for recompute (≈ 4/3), the
        // quantized ones keep the factors measured on the CPU. To be calibrated on a GPU.
        Map<QuantFormat, Double> gpu = slowdowns(1.0, 4.0 / 3, 4.0 / 3, 1.43, 1.54);
        double gpuMfu = 0.40;
        Map<String, DevicePreset> m = new TreeMap<>();
        // This machine: fp32 GEMM ≈ 0.2 TFLOP/s on 2 threads, FP32 whole-graph MFU ≈ 0.73 (measured).
        m.put("cpu-2core", new DevicePreset("cpu-2core", 0, 0.2, 0, 0.73, 64, 0, 4, cpu));
        // NVIDIA spec sheets: RTX 3090 (GA102 whitepaper: 35.6 FP32, 71 FP16 tensor w/ FP32 accumulate).
        m.put("rtx-3090", new DevicePreset("rtx-3090", (long) (24 * GB), 35.6, 71, gpuMfu, 1024, 0.10, 2, gpu));
        // A100 datasheet: 19.5 FP32, 312 BF16 tensor; 40 and 80 GB.
        m.put("a100-40gb", new DevicePreset("a100-40gb", (long) (40 * GB), 19.5, 312, gpuMfu, 2048, 0.10, 2, gpu));
        m.put("a100-80gb", new DevicePreset("a100-80gb", (long) (80 * GB), 19.5, 312, gpuMfu, 2048, 0.10, 2, gpu));
        // T4 datasheet: 8.1 FP32, 65 FP16 tensor (no BF16: FP16 mixed precision), 16 GB.
        m.put("t4", new DevicePreset("t4", (long) (16 * GB), 8.1, 65, gpuMfu, 1024, 0.10, 2, gpu));
        // Jetson AGX Orin (module datasheet; dense FP16 = half the sparse tensor rate): 64 GB module
        // 5.3 FP32 / 42.5 FP16; 32 GB module 3.3 / 26.7. Memory is shared with the CPU: reserve 25%.
        m.put("jetson-orin-64gb", new DevicePreset("jetson-orin-64gb", (long) (64 * GB), 5.3, 42.5, gpuMfu, 1024, 0.25, 2, gpu));
        m.put("jetson-orin-32gb", new DevicePreset("jetson-orin-32gb", (long) (32 * GB), 3.3, 26.7, gpuMfu, 1024, 0.25, 2, gpu));
        return m;
    }

    private static Map<QuantFormat, Double> slowdowns(double fp32, double bf16, double fp16, double int8, double nf4) {
        Map<QuantFormat, Double> m = new EnumMap<>(QuantFormat.class);
        m.put(QuantFormat.FP32, fp32);
        m.put(QuantFormat.BF16, bf16);
        m.put(QuantFormat.FP16, fp16);
        m.put(QuantFormat.INT8, int8);
        m.put(QuantFormat.NF4, nf4);
        return m;
    }
}
