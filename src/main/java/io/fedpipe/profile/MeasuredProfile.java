package io.fedpipe.profile;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.planning.DevicePreset;
import io.fedpipe.quant.QuantFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A node's profile as a file ({@code ./fedpipe bench profile --out FILE}, read by a node through
 * {@code fedpipe.node.profile}): the planner device fitted by {@link MeasuredDevice}, the per-format
 * coefficients of {@link FittedCostModel}'s FLOPS form, and the memory of each base format. Plain
 * JSON (names and numbers), so a node can send the speed figures to the scheduler.
 *
 * @param version               file format, {@value #VERSION}
 * @param model                 the profiled model
 * @param seq                   tokens per example of the timed steps
 * @param threads               intra-op threads of the timed steps
 * @param targets               adapted matrix kinds ({@code LoraTarget} keys)
 * @param fp32Tflops            the planner device's effective FP32 rate ({@link MeasuredDevice}: mfu 1)
 * @param halfUtilizationTokens the planner device's fitted h
 * @param slowdown              per base format (config name), step time against FP32; every format
 * @param fits                  per profiled format, {@code [c0, c1]} of {@code t = c0 + c1·FLOPs}
 * @param memory                per profiled format, its measured memory
 */
public record MeasuredProfile(int version, String model, int seq, int threads, List<String> targets,
        double fp32Tflops, double halfUtilizationTokens, Map<String, Double> slowdown,
        Map<String, List<Double>> fits, List<Memory> memory) {

    public static final int VERSION = 1;

    /**
     * Memory of one base format, as {@link NodeProfile.FormatMemory} derives it (NaN where the
     * growth was not measured).
     */
    public record Memory(String bits, long baseBytes, double activationBytesPerSample, double fixedStepBytes) {}

    public MeasuredProfile {
        if (version != VERSION) {
            throw new IllegalArgumentException("profile file version " + version + ", expected " + VERSION);
        }
        if (seq <= 0 || threads <= 0) {
            throw new IllegalArgumentException("seq and threads must be positive, got " + seq + " and " + threads);
        }
        if (!(fp32Tflops > 0) || !Double.isFinite(fp32Tflops) || !(halfUtilizationTokens >= 0)
                || !Double.isFinite(halfUtilizationTokens)) {
            throw new IllegalArgumentException("fp32Tflops must be positive and halfUtilizationTokens >= 0, both "
                    + "finite: " + fp32Tflops + ", " + halfUtilizationTokens);
        }
        if (slowdown == null || fits == null) {
            throw new IllegalArgumentException("the profile needs slowdown and fits");
        }
        for (QuantFormat f : QuantFormat.values()) {
            Double s = slowdown.get(f.configName());
            if (s == null || !(s > 0) || !Double.isFinite(s)) {
                throw new IllegalArgumentException("slowdown of " + f.configName() + " must be positive and finite, got "
                        + s);
            }
        }
        fits.forEach((bits, c) -> {
            QuantFormat.parse(bits);
            if (c == null || c.size() != 2 || c.stream().anyMatch(v -> v == null || !Double.isFinite(v))) {
                throw new IllegalArgumentException("fit of " + bits + " must be two finite numbers [c0, c1], got " + c);
            }
        });
        targets = List.copyOf(targets == null ? List.of() : targets);
        targets.forEach(LoraTarget::parse);
        slowdown = Map.copyOf(slowdown);
        fits = Map.copyOf(fits);
        memory = List.copyOf(memory == null ? List.of() : memory);
    }

    /** The file content for a fitted profile. */
    public static MeasuredProfile of(NodeProfile profile, MeasuredDevice device, FittedCostModel flopsFit) {
        if (flopsFit.form() != FittedCostModel.Form.FLOPS) {
            throw new IllegalArgumentException("the profile file keeps the FLOPS form's coefficients");
        }
        Map<String, Double> slowdown = new TreeMap<>();
        device.preset().slowdown().forEach((f, s) -> slowdown.put(f.configName(), s));
        Map<String, List<Double>> fits = new TreeMap<>();
        for (QuantFormat f : flopsFit.formats()) {
            double[] c = flopsFit.coefficients(f);
            fits.put(f.configName(), List.of(c[0], c[1]));
        }
        List<Memory> memory = new ArrayList<>();
        for (NodeProfile.FormatMemory m : profile.memory()) {
            memory.add(new Memory(m.format().configName(), m.baseBytes(), m.activationBytesPerSample(),
                    m.fixedStepBytes()));
        }
        return new MeasuredProfile(VERSION, profile.model(), profile.seq(), profile.threads(),
                profile.targets().stream().map(LoraTarget::key).sorted().toList(), device.preset().fp32Tflops(),
                device.halfUtilizationTokens(), slowdown, fits, memory);
    }

    /** Reads and validates a profile file; throws with one line naming the file and the problem. */
    public static MeasuredProfile read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("profile file " + file + " does not exist");
        }
        try {
            return new ObjectMapper().readValue(file.toFile(), MeasuredProfile.class);
        } catch (IOException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
            String message = cause.getMessage() == null ? cause.toString() : cause.getMessage().lines().findFirst()
                    .orElse("");
            throw new IllegalArgumentException("profile file " + file + " is not a valid profile: " + message, e);
        }
    }

    public void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), this);
    }

    /** The planner device of these figures, for a node with {@code memoryBytes} of budget. */
    public DevicePreset device(String name, long memoryBytes) {
        Map<QuantFormat, Double> s = new EnumMap<>(QuantFormat.class);
        slowdown.forEach((bits, v) -> s.put(QuantFormat.parse(bits), v));
        return MeasuredDevice.preset(name, memoryBytes, fp32Tflops, halfUtilizationTokens, s);
    }
}
