package io.fedpipe.planning;

import io.fedpipe.config.ConfigReader;
import io.fedpipe.quant.QuantFormat;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Reads a cluster description (HOCON) for planning:
 * <pre>
 * nodes = [
 *   { name = "a100-1", device = "a100-80gb", uplink-mbps = 1000, downlink-mbps = 1000, data-size = 20000 }
 *   { name = "pi", device = "cpu-2core", memory-gb = 0.4, compute-scale = 0.25,
 *     uplink-mbps = 20, downlink-mbps = 50, data-size = 3000 }
 *   { name = "lab", memory-gb = 12, fp32-tflops = 10, half-tflops = 40,   # no preset: explicit
 *     uplink-mbps = 100, downlink-mbps = 100, data-size = 500 }
 * ]
 * </pre>
 * Required per node: {@code name}, {@code uplink-mbps}, {@code downlink-mbps}, {@code data-size},
 * and either {@code device} (a preset) or {@code memory-gb} + {@code fp32-tflops}. Optional:
 * {@code memory-gb} (overrides the preset), {@code compute-scale} (1), and for explicit devices
 * {@code half-tflops} (0), {@code mfu} (0.4). Unknown keys are refused; every problem is one line
 * naming the file, the line and the key ({@code nodes[2].uplink-mbps}), all reported at once.
 */
public final class ClusterFile {

    private static final Set<String> NODE_KEYS = Set.of("name", "device", "memory-gb", "compute-scale", "uplink-mbps",
            "downlink-mbps", "data-size", "fp32-tflops", "half-tflops", "mfu");

    private ClusterFile() {}

    /** Reads and validates a cluster file; every problem is one line of one {@link IllegalArgumentException}. */
    public static List<NodeSpec> read(Path file) throws NoSuchFileException {
        ConfigReader r = ConfigReader.forFile(ConfigReader.parseFile(file, "cluster file"), file.getFileName().toString());
        r.refuseUnknown(Set.of("nodes"));
        List<NodeSpec> nodes = new ArrayList<>();
        for (ConfigReader n : r.objects("nodes")) {
            NodeSpec spec = node(n);
            if (spec != null) {
                nodes.add(spec);
            }
        }
        r.throwIfAny();
        return nodes;
    }

    /** The node {@code n} describes, or null when a problem was recorded. */
    private static NodeSpec node(ConfigReader n) {
        n.refuseUnknown(NODE_KEYS);
        String name = n.string("name");
        DevicePreset device = n.has("device") ? n.parsed("device", DevicePreset::preset) : explicitDevice(name, n);
        long memory = 0;
        if (n.has("memory-gb")) {
            memory = Math.round(n.positive("memory-gb") * 1e9);
        } else if (device != null && device.memoryBytes() > 0) {
            memory = device.memoryBytes();
        } else if (device != null) {
            n.error("memory-gb", "is needed: device '" + device.name() + "' has no fixed memory");
        }
        double scale = n.positive("compute-scale", 1.0);
        double up = n.positive("uplink-mbps");
        double down = n.positive("downlink-mbps");
        long dataSize = n.longAtLeast("data-size", 0);
        if (device == null || memory <= 0) {
            return null;
        }
        try {
            return new NodeSpec(name, device, memory, scale, up, down, dataSize);
        } catch (IllegalArgumentException e) {
            n.problem(e.getMessage());
            return null;
        }
    }

    private static DevicePreset explicitDevice(String name, ConfigReader n) {
        if (!n.has("memory-gb") || !n.has("fp32-tflops")) {
            n.problem("node '" + name + "': give a device preset (device = ...; valid: "
                    + String.join(", ", DevicePreset.presetNames()) + ") or memory-gb and fp32-tflops");
            return null;
        }
        double half = n.nonNegative("half-tflops", 0);
        double mfu = n.positive("mfu", 0.4);
        // An explicit device borrows the slowdowns of its kind: with a 16-bit path those assumed for GPUs, else the CPU's.
        DevicePreset like = DevicePreset.preset(half > 0 ? "rtx-3090" : "cpu-2core");
        Map<QuantFormat, Double> slowdown = new EnumMap<>(like.slowdown());
        return new DevicePreset("custom:" + name, 0, n.positive("fp32-tflops"), half, mfu,
                like.halfUtilizationTokens(), like.reserveFraction(), like.floatBytes(), slowdown);
    }

    /**
     * A reproducible cluster of {@code count} nodes for benchmarks: GPU presets and CPU nodes,
     * compute scales 1/0.5/0.25, two link classes, data sizes 1,000–20,000.
     */
    public static List<NodeSpec> synthetic(int count, long seed) {
        Random random = new Random(seed);
        String[] devices = {"rtx-3090", "a100-40gb", "a100-80gb", "t4", "jetson-orin-32gb", "jetson-orin-64gb"};
        double[] scales = {1, 0.5, 0.25};
        double[][] links = {{100, 500}, {1000, 1000}};
        List<NodeSpec> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            DevicePreset device = DevicePreset.preset(devices[random.nextInt(devices.length)]);
            double[] link = links[random.nextInt(links.length)];
            nodes.add(new NodeSpec(String.format("node-%04d", i), device, device.memoryBytes(),
                    scales[random.nextInt(scales.length)], link[0], link[1], 1000 + random.nextInt(19_001)));
        }
        return nodes;
    }
}
