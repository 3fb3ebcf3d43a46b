package io.fedpipe.simulation;

import com.typesafe.config.ConfigList;
import io.fedpipe.aggregation.StrategyKind;
import io.fedpipe.config.ConfigReader;
import io.fedpipe.job.JobSpec;
import io.fedpipe.job.JobSpecReader;
import io.fedpipe.quant.QuantFormat;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A simulator experiment file (HOCON): the job's keys ({@link JobSpecReader}, the same as a
 * cluster job file's) and the simulated nodes:
 * <pre>
 * nodes = [
 *   { name = a, rank = 8, steps = 20, batch = 16, bits = fp32, compute-scale = 1,
 *     uplink-mbps = 100, downlink-mbps = 100, memory-mb = 400 }
 * ]
 * </pre>
 * Per node {@code name} is required, and {@code rank}, {@code steps} and {@code batch} are
 * required without a planner and refused with one (the planner decides them, and {@code bits});
 * {@code bits} defaults to fp32, {@code compute-scale} to 1, a missing link speed to an unlimited
 * link and a missing {@code memory-mb} to an unlimited budget. Under {@code fedavg-full} (the FT
 * baseline: every weight of the encoder and the head trained and averaged) {@code rank} is
 * optional and ignored, {@code targets} and {@code alpha} are ignored, {@code bits} must be fp32
 * and there is no planner.
 *
 * @param job   the job; its id is the file's name without {@code .conf}
 * @param nodes the simulated nodes, at least one, names unique
 */
public record Experiment(JobSpec job, List<SimulatedNode> nodes) {

    private static final Set<String> NODE_KEYS = Set.of("name", "rank", "steps", "batch", "bits", "compute-scale",
            "uplink-mbps", "downlink-mbps", "memory-mb");

    public Experiment {
        nodes = List.copyOf(nodes);
    }

    /** Reads and validates an experiment file; every problem is one line of one {@link IllegalArgumentException}. */
    public static Experiment read(Path file) throws NoSuchFileException {
        String name = file.getFileName().toString();
        // Absolute: a file named without a directory has no parent, and its includes would not resolve.
        ConfigReader r = ConfigReader.forFile(ConfigReader.parseFile(file.toAbsolutePath(), "experiment file"), name);
        JobSpec job = JobSpecReader.read(r, JobSpecReader.Side.EXPERIMENT, name.replaceFirst("\\.conf$", ""));
        List<ConfigReader> entries = r.objects("nodes");
        if (r.has("nodes") && r.config().getValue("nodes") instanceof ConfigList list && list.isEmpty()) {
            r.errorIn("nodes", "needs at least one node");
        }
        StrategyKind strategy = StrategyKind.parse(job.strategy());
        List<SimulatedNode> nodes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (ConfigReader n : entries) {
            SimulatedNode node = node(n, strategy, job.planner() != null);
            if (!node.name().isEmpty() && !names.add(node.name())) {
                n.problem("node name '" + node.name() + "' is used twice");
            }
            nodes.add(node);
        }
        r.throwIfAny();
        return new Experiment(job, nodes);
    }

    /** Whether the planner decides the nodes' plans (the file has a {@code planner} block). */
    public boolean planned() {
        return job.planner() != null;
    }

    private static SimulatedNode node(ConfigReader k, StrategyKind strategy, boolean planned) {
        k.refuseUnknown(NODE_KEYS);
        String name = k.string("name");
        int rank = 0;
        int steps = 0;
        int batch = 0;
        String bits = QuantFormat.FP32.configName();
        if (planned) {
            for (String fixed : List.of("rank", "steps", "batch", "bits")) {
                if (k.has(fixed)) {
                    k.error(fixed, "is decided by the planner; remove it or remove the 'planner' block");
                }
            }
        } else {
            // Full fine-tuning has no adapters: a rank left in a file copied from a LoRA run is checked, then ignored.
            rank = strategy.fullWeights() ? k.atLeast("rank", 0, 1) : k.atLeast("rank", 1);
            rank = strategy.fullWeights() ? 0 : rank;
            steps = k.atLeast("steps", 1);
            batch = k.atLeast("batch", 1);
            String parsed = k.parsed("bits", s -> QuantFormat.parse(s).configName(), "fp32");
            bits = parsed == null ? bits : parsed;
            if (strategy.fullWeights() && !bits.equals(QuantFormat.FP32.configName())) {
                k.errorIn("bits", "strategy " + strategy.key() + " trains float32 weights and cannot use a " + bits
                        + " base; use fp32");
            }
        }
        double scale = k.positive("compute-scale", 1.0);
        double up = k.positive("uplink-mbps", Double.POSITIVE_INFINITY);
        double down = k.positive("downlink-mbps", Double.POSITIVE_INFINITY);
        double memory = k.positive("memory-mb", Double.POSITIVE_INFINITY);
        return new SimulatedNode(name, rank, steps, batch, bits, scale, up, down, memory);
    }
}
