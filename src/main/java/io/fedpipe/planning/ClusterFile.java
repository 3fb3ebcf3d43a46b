package io.fedpipe.planning;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.fedpipe.quant.QuantFormat;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

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
 * {@code half-tflops} (0), {@code mfu} (0.4). Every error names the file, line and node.
 */
public final class ClusterFile {

    private ClusterFile() {}

    public static List<NodeSpec> read(Path file) throws NoSuchFileException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such cluster file");
        }
        Config root;
        try {
            root = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF)
                    .setAllowMissing(false)).resolve();
        } catch (ConfigException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        if (!root.hasPath("nodes")) {
            throw new IllegalArgumentException(file + ": missing key 'nodes' (a list of nodes)");
        }
        List<? extends Config> entries;
        try {
            entries = root.getConfigList("nodes");
        } catch (ConfigException e) {
            throw new IllegalArgumentException(file + ": 'nodes' must be a list of objects: " + e.getMessage(), e);
        }
        List<NodeSpec> nodes = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            Config c = entries.get(i);
            String where = file.getFileName() + ":" + c.origin().lineNumber() + ": node "
                    + (c.hasPath("name") ? "'" + c.getString("name") + "'" : "#" + (i + 1));
            try {
                nodes.add(node(c));
            } catch (ConfigException.Missing e) {
                throw new IllegalArgumentException(where + ": missing key '" + missingKey(e) + "'", e);
            } catch (ConfigException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        return nodes;
    }

    private static String missingKey(ConfigException.Missing e) {
        String m = e.getMessage();
        int start = m.indexOf('\'');
        int end = start < 0 ? -1 : m.indexOf('\'', start + 1);
        return end > start ? m.substring(start + 1, end) : m;
    }

    private static NodeSpec node(Config c) {
        String name = c.getString("name");
        DevicePreset device;
        if (c.hasPath("device")) {
            device = DevicePreset.preset(c.getString("device"));
        } else {
            device = explicitDevice(name, c);
        }
        long memory;
        if (c.hasPath("memory-gb")) {
            double gb = c.getDouble("memory-gb");
            if (!(gb > 0)) {
                throw new IllegalArgumentException("memory-gb must be positive: " + gb);
            }
            memory = Math.round(gb * 1e9);
        } else if (device.memoryBytes() > 0) {
            memory = device.memoryBytes();
        } else {
            throw new IllegalArgumentException("device '" + device.name() + "' has no fixed memory: give memory-gb");
        }
        double scale = c.hasPath("compute-scale") ? c.getDouble("compute-scale") : 1.0;
        return new NodeSpec(name, device, memory, scale, c.getDouble("uplink-mbps"), c.getDouble("downlink-mbps"),
                c.getLong("data-size"));
    }

    private static DevicePreset explicitDevice(String name, Config c) {
        if (!c.hasPath("memory-gb") || !c.hasPath("fp32-tflops")) {
            throw new IllegalArgumentException("give a device preset (device = ...; valid: "
                    + String.join(", ", DevicePreset.presetNames()) + ") or memory-gb and fp32-tflops");
        }
        double half = c.hasPath("half-tflops") ? c.getDouble("half-tflops") : 0;
        double mfu = c.hasPath("mfu") ? c.getDouble("mfu") : 0.4;
        // An explicit device borrows the slowdowns of its kind: with a 16-bit path those assumed for GPUs, else the CPU's.
        DevicePreset like = DevicePreset.preset(half > 0 ? "rtx-3090" : "cpu-2core");
        Map<QuantFormat, Double> slowdown = new EnumMap<>(like.slowdown());
        return new DevicePreset("custom:" + name, 0, c.getDouble("fp32-tflops"), half, mfu,
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
