package io.fedpipe.simulation;

import io.fedpipe.round.Emulation;
import io.fedpipe.round.NodeRoundPlan;
import io.fedpipe.local.FullFineTuneLocalRound;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValueType;
import io.fedpipe.aggregation.AggregationStrategy;
import io.fedpipe.aggregation.FedAvgFull;
import io.fedpipe.aggregation.FedAvgLora;
import io.fedpipe.aggregation.FedPipeAggregation;
import io.fedpipe.aggregation.FlexLoraSvd;
import io.fedpipe.aggregation.HetLoraZeroPadding;
import io.fedpipe.data.Partitioner;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.planning.DevicePreset;
import io.fedpipe.quant.QuantFormat;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One simulated federated configuration, read from an experiment file (HOCON):
 * <pre>
 * model = minilm-l6                  # or a Hugging Face BERT directory
 * task = wordnet-topics              # or a directory with train.jsonl and validation.jsonl
 * limit-train = 2000                 # optional: at most this many examples (0: all)
 * limit-validation = 500             # optional, as above
 * partition { kind = dirichlet, alpha = 0.5 }   # or { kind = iid }
 * strategy = fedpipe                 # fedpipe | flexlora | hetlora | fedavg-lora | fedavg-full (alias ft)
 * rounds = 5
 * max-seconds = 300                  # optional: no round starts after this many emulated seconds
 * targets = "q,k,v,o"                # optional (q,k,v,o)
 * alpha = 16                         # LoRA α, optional (16)
 * lr = 2e-3                          # optional (2e-3); warmup (0) and max-length (64) too
 * seed = 42                          # optional (42)
 * method = fedpipe                   # optional label for reports (default: the strategy)
 * setting = hetero                   # optional label for reports (default: "default")
 * nodes = [
 *   { name = a, rank = 8, steps = 20, batch = 16, bits = fp32, compute-scale = 1,
 *     uplink-mbps = 100, downlink-mbps = 100, memory-mb = 400 }
 * ]
 * planner {                          # optional: FedPipe's planner decides bits, batch, rank, steps
 *   device = cpu-2core               # the device preset of this machine (see ./fedpipe plan)
 *   formats = "fp32,int8,nf4"  batches = [8, 16]  ranks = [4, 8, 16]
 *   min-steps = 10  max-steps = 200  idle-tolerance = 0.1  work-weight = 0.8  round-stretch = 3
 * }
 * importance {                       # optional, needs planner: which matrices get adapters
 *   matrices = 12                    # budget: the most important this many candidate matrices
 *   probe-steps = 10  probe-rank = 4  refresh-every = 0   # 0: probe once, before round 1
 * }
 * </pre>
 * Per node {@code name} is required, and {@code rank}, {@code steps} and {@code batch} are
 * required without a planner and refused with one (the planner decides them, and {@code bits});
 * {@code bits} defaults to fp32, {@code compute-scale} to 1, a missing link speed to an unlimited
 * link and a missing {@code memory-mb} to an unlimited budget. Under {@code fedavg-full} (the FT
 * baseline: every weight of the encoder and the head trained and averaged,
 * {@link FullFineTuneLocalRound}) {@code rank} is optional and ignored, {@code targets} and
 * {@code alpha} are ignored, {@code bits} must be fp32 and there is no planner. Unknown keys are
 * refused (a typo must not silently fall back to a default). Every error is one line naming the
 * file, the line and the key.
 *
 * @param limitTrain      at most this many training examples before partitioning (0: all)
 * @param limitValidation at most this many validation examples (0: all)
 * @param warmup          linear warm-up steps of each local run
 * @param maxLength       tokens per example; longer ones are truncated
 */
public record ExperimentSpec(String model, String task, int limitTrain, int limitValidation, Partition partition,
        Strategy strategy, int rounds, Set<LoraTarget> targets, float alpha, float lr, int warmup, int maxLength,
        long seed, List<Node> nodes, double maxSeconds, String method, String setting, PlannerSpec planner, ImportanceSpec importance) {

    /**
     * The planner's choices for a simulated cluster (see {@code io.fedpipe.planning.PlanningPolicy}).
     *
     * @param device the preset that describes this machine, scaled per node by its compute scale
     */
    public record PlannerSpec(String device, List<QuantFormat> formats, List<Integer> batches, List<Integer> ranks,
            int minSteps, int maxSteps, double idleTolerance, double workWeight, double roundStretch) {
        public PlannerSpec {
            formats = List.copyOf(formats);
            batches = List.copyOf(batches);
            ranks = List.copyOf(ranks);
        }
    }

    /**
     * FedPipe's importance stage: a probe on every node, then the {@code matrices} best candidates.
     *
     * @param refreshEvery re-probe before every this many rounds; 0: once, before the first round
     */
    public record ImportanceSpec(int matrices, int probeSteps, int probeRank, int refreshEvery) {}

    /** How the training set is split over the nodes; {@code alpha} only matters for Dirichlet. */
    public record Partition(String kind, double alpha) {

        public Partitioner partitioner() {
            return kind.equals("iid") ? Partitioner.iid() : Partitioner.dirichletLabelSkew(alpha);
        }

        @Override
        public String toString() {
            return kind.equals("iid") ? "iid" : "dirichlet(α=" + alpha + ")";
        }
    }

    /** The aggregation rule, by its name in experiment files. */
    public enum Strategy {
        FEDPIPE("fedpipe"), FLEXLORA("flexlora"), HETLORA("hetlora"), FEDAVG_LORA("fedavg-lora"),
        /** The FT baseline: full fine-tuning, every weight averaged by FedAvg. Also spelled {@code ft}. */
        FEDAVG_FULL("fedavg-full", "ft");

        private final String key;
        private final String alias;

        Strategy(String key) {
            this(key, null);
        }

        Strategy(String key, String alias) {
            this.key = key;
            this.alias = alias;
        }

        /** True for full fine-tuning (no adapters, fp32 weights trained), false for the LoRA strategies. */
        public boolean fullWeights() {
            return this == FEDAVG_FULL;
        }

        public String key() {
            return key;
        }

        public AggregationStrategy create() {
            return switch (this) {
                case FEDPIPE -> new FedPipeAggregation();
                case FLEXLORA -> new FlexLoraSvd();
                case HETLORA -> new HetLoraZeroPadding();
                case FEDAVG_LORA -> new FedAvgLora();
                case FEDAVG_FULL -> new FedAvgFull();
            };
        }

        static Strategy parse(String text) {
            String name = text.strip().toLowerCase(Locale.ROOT);
            for (Strategy s : values()) {
                if (s.key.equals(name) || name.equals(s.alias)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("unknown strategy '" + text
                    + "'; valid: fedpipe, flexlora, hetlora, fedavg-lora, fedavg-full (or ft)");
        }
    }

    /**
     * One simulated node: its fixed plan (uniform rank on every target; steps 0 when a planner
     * decides) and emulated resources.
     *
     * @param rank     LoRA rank on every target; 0 under full fine-tuning (no adapters)
     * @param memoryMb memory budget in MB (10⁶ bytes), or infinity
     */
    public record Node(String name, int rank, int steps, int batch, String bits, double computeScale,
            double uplinkMbps, double downlinkMbps, double memoryMb) {

        /** Its fixed plan for a round: {@code rank} on each of {@code matrices}, or no adapters when rank is 0. */
        public NodeRoundPlan plan(Collection<MatrixId> matrices) {
            if (steps == 0) {
                throw new IllegalStateException("node " + name + " has no fixed plan: the planner decides it");
            }
            Map<MatrixId, Integer> ranks = new TreeMap<>();
            if (rank > 0) {
                matrices.forEach(id -> ranks.put(id, rank));
            }
            return new NodeRoundPlan(name, ranks, steps, batch, bits);
        }

        public Emulation emulation() {
            return new Emulation(computeScale, uplinkMbps * 1e6, downlinkMbps * 1e6);
        }
    }

    private static final Set<String> TOP_KEYS = Set.of("model", "task", "limit-train", "limit-validation",
            "partition", "strategy", "rounds", "targets", "alpha", "lr", "warmup", "max-length", "seed", "nodes",
            "method", "setting", "planner", "importance", "max-seconds");
    private static final Set<String> NODE_KEYS = Set.of("name", "rank", "steps", "batch", "bits", "compute-scale",
            "uplink-mbps", "downlink-mbps", "memory-mb");
    private static final Set<String> PLANNER_KEYS = Set.of("device", "formats", "batches", "ranks", "min-steps",
            "max-steps", "idle-tolerance", "work-weight", "round-stretch");
    private static final Set<String> IMPORTANCE_KEYS = Set.of("matrices", "probe-steps", "probe-rank",
            "refresh-every");

    public ExperimentSpec {
        nodes = List.copyOf(nodes);
        targets = Set.copyOf(targets);
    }

    /** Reads and validates an experiment file; any problem is an {@link IllegalArgumentException} of one line. */
    public static ExperimentSpec read(Path file) throws NoSuchFileException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such experiment file");
        }
        Config root;
        try {
            root = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF)
                    .setAllowMissing(false)).resolve();
        } catch (ConfigException e) {
            // Typesafe's message starts with the full path and line ("/x/y.conf: 3: ..."): keep the name and line.
            String message = oneLine(e.getMessage());
            String origin = file + ": ";
            message = message.startsWith(origin) ? message.substring(origin.length()) : " " + message;
            throw new IllegalArgumentException(file.getFileName() + ":" + message, e);
        }
        return parse(root, file.getFileName().toString());
    }

    /** Validates a parsed experiment; {@code source} names it in error messages. */
    public static ExperimentSpec parse(Config c, String source) {
        Keys k = new Keys(c, source);
        k.refuseUnknown(TOP_KEYS);
        String model = k.string("model", PretrainedModels.MINILM_L6);
        String task = k.requiredString("task");
        int limitTrain = k.atLeast("limit-train", 0, 0);
        int limitValidation = k.atLeast("limit-validation", 0, 0);
        Partition partition = partition(c, source);
        Strategy strategy = k.parse("strategy", Strategy::parse);
        int rounds = k.atLeast("rounds", null, 1);
        Set<LoraTarget> targets = k.parse("targets", s -> LoraTarget.parseList(s), "q,k,v,o");
        float alpha = (float) k.positive("alpha", 16.0);
        float lr = (float) k.positive("lr", 2e-3);
        int warmup = k.atLeast("warmup", 0, 0);
        int maxLength = k.atLeast("max-length", 64, 2);
        long seed = k.has("seed") ? k.call("seed", () -> c.getLong("seed")) : 42L;
        double maxSeconds = k.positive("max-seconds", Double.POSITIVE_INFINITY);
        String method = k.string("method", strategy.key());
        String setting = k.string("setting", "default");
        PlannerSpec planner = c.hasPath("planner") ? planner(k.call("planner", () -> c.getConfig("planner")), source)
                : null;
        if (planner != null && strategy.fullWeights()) {
            throw new IllegalArgumentException(k.where("planner") + "key 'planner': strategy " + strategy.key()
                    + " trains full weights; the planner plans LoRA ranks and quantized bases");
        }
        ImportanceSpec importance = null;
        if (c.hasPath("importance")) {
            if (planner == null) {
                throw new IllegalArgumentException(k.where("importance") + "key 'importance' needs a 'planner' block:"
                        + " the planner sizes the selected matrices' ranks");
            }
            importance = importance(k.call("importance", () -> c.getConfig("importance")), source);
        }
        List<? extends Config> entries = k.call("nodes", () -> c.getConfigList("nodes"));
        if (entries.isEmpty()) {
            throw new IllegalArgumentException(k.where("nodes") + "key 'nodes': needs at least one node");
        }
        List<Node> nodes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            Node n = node(entries.get(i), source, i, strategy, planner != null);
            if (!names.add(n.name())) {
                throw new IllegalArgumentException(source + ":" + entries.get(i).origin().lineNumber()
                        + ": node name '" + n.name() + "' is used twice");
            }
            nodes.add(n);
        }
        return new ExperimentSpec(model, task, limitTrain, limitValidation, partition, strategy, rounds, targets,
                alpha, lr, warmup, maxLength, seed, nodes, maxSeconds, method, setting, planner, importance);
    }

    private static PlannerSpec planner(Config p, String source) {
        Keys k = new Keys(p, source);
        k.prefix = "planner.";
        k.refuseUnknown(PLANNER_KEYS);
        String device = k.parse("device", d -> DevicePreset.preset(d).name(), "cpu-2core");
        List<QuantFormat> formats = k.parse("formats", ExperimentSpec::formats, "fp32,int8,nf4");
        List<Integer> batches = k.positiveInts("batches", List.of(8, 16));
        List<Integer> ranks = k.positiveInts("ranks", List.of(4, 8, 16));
        int minSteps = k.atLeast("min-steps", 10, 1);
        int maxSteps = k.atLeast("max-steps", 200, minSteps);
        double idle = k.positive("idle-tolerance", 0.1);
        if (idle >= 1) {
            throw new IllegalArgumentException(k.where("idle-tolerance") + "key 'planner.idle-tolerance' must be < 1,"
                    + " got " + idle);
        }
        double work = k.positive("work-weight", 0.8);
        double stretch = k.positive("round-stretch", 3.0);
        if (stretch < 1) {
            throw new IllegalArgumentException(k.where("round-stretch") + "key 'planner.round-stretch' must be >= 1,"
                    + " got " + stretch);
        }
        return new PlannerSpec(device, formats, batches, ranks, minSteps, maxSteps, idle, work, stretch);
    }

    private static List<QuantFormat> formats(String text) {
        List<QuantFormat> out = new ArrayList<>();
        for (String part : text.split(",")) {
            QuantFormat f = QuantFormat.parse(part.strip());
            if (!out.contains(f)) {
                out.add(f);
            }
        }
        return out;
    }

    private static ImportanceSpec importance(Config p, String source) {
        Keys k = new Keys(p, source);
        k.prefix = "importance.";
        k.refuseUnknown(IMPORTANCE_KEYS);
        return new ImportanceSpec(k.atLeast("matrices", null, 1), k.atLeast("probe-steps", 10, 1),
                k.atLeast("probe-rank", 4, 1), k.atLeast("refresh-every", 0, 0));
    }

    private static Partition partition(Config c, String source) {
        if (!c.hasPath("partition")) {
            return new Partition("iid", 0);
        }
        Keys top = new Keys(c, source);
        Config p = top.call("partition", () -> c.getConfig("partition"));
        Keys k = new Keys(p, source);
        k.prefix = "partition.";
        k.refuseUnknown(Set.of("kind", "alpha"));
        String kind = k.requiredString("kind").strip().toLowerCase(Locale.ROOT);
        return switch (kind) {
            case "iid" -> new Partition("iid", 0);
            case "dirichlet" -> new Partition("dirichlet", k.positive("alpha", null));
            default -> throw new IllegalArgumentException(k.where("kind") + "key 'partition.kind' must be iid or"
                    + " dirichlet, got '" + kind + "'");
        };
    }

    private static Node node(Config c, String source, int index, Strategy strategy, boolean planned) {
        Keys k = new Keys(c, source);
        String label = "nodes[" + index + "].";
        k.prefix = label;
        k.refuseUnknown(NODE_KEYS);
        String name = k.requiredString("name");
        int rank = 0;
        int steps = 0;
        int batch = 0;
        String bits = QuantFormat.FP32.configName();
        if (planned) {
            for (String fixed : List.of("rank", "steps", "batch", "bits")) {
                if (c.hasPath(fixed)) {
                    throw new IllegalArgumentException(k.where(fixed) + "key '" + label + fixed + "' is decided by the"
                            + " planner; remove it or remove the 'planner' block");
                }
            }
        } else {
            // Full fine-tuning has no adapters: a rank left in a file copied from a LoRA run is checked, then ignored.
            rank = k.atLeast("rank", strategy.fullWeights() ? 0 : null, 1);
            rank = strategy.fullWeights() ? 0 : rank;
            steps = k.atLeast("steps", null, 1);
            batch = k.atLeast("batch", null, 1);
            bits = k.parse("bits", s -> QuantFormat.parse(s).configName(), "fp32");
            if (strategy.fullWeights() && !bits.equals(QuantFormat.FP32.configName())) {
                throw new IllegalArgumentException(k.where("bits") + "key '" + label + "bits': strategy "
                        + strategy.key() + " trains float32 weights and cannot use a " + bits + " base; use fp32");
            }
        }
        double scale = k.positive("compute-scale", 1.0);
        double up = k.positive("uplink-mbps", Double.POSITIVE_INFINITY);
        double down = k.positive("downlink-mbps", Double.POSITIVE_INFINITY);
        double memory = k.positive("memory-mb", Double.POSITIVE_INFINITY);
        return new Node(name, rank, steps, batch, bits, scale, up, down, memory);
    }

    private static String oneLine(String message) {
        return message.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** Typed access to one object's keys with errors naming source, line and key. */
    private static final class Keys {
        private final Config c;
        private final String source;
        private String prefix = "";

        Keys(Config c, String source) {
            this.c = c;
            this.source = source;
        }

        boolean has(String key) {
            return c.hasPath(key);
        }

        String where(String key) {
            int line = c.hasPath(key) ? c.getValue(key).origin().lineNumber() : c.origin().lineNumber();
            return source + (line > 0 ? ":" + line : "") + ": ";
        }

        void refuseUnknown(Set<String> known) {
            for (String key : c.root().keySet()) {
                if (!known.contains(key)) {
                    throw new IllegalArgumentException(where(key) + "unknown key '" + prefix + key + "'; valid: "
                            + String.join(", ", new java.util.TreeSet<>(known)));
                }
            }
        }

        <T> T call(String key, java.util.function.Supplier<T> get) {
            if (!c.hasPath(key)) {
                throw new IllegalArgumentException(where(key) + "missing key '" + prefix + key + "'");
            }
            try {
                return get.get();
            } catch (ConfigException e) {
                throw new IllegalArgumentException(where(key) + "key '" + prefix + key + "': "
                        + oneLine(e.getMessage().replaceFirst("^.*?: ", "")), e);
            }
        }

        String requiredString(String key) {
            String s = call(key, () -> c.getString(key));
            if (s.isBlank()) {
                throw new IllegalArgumentException(where(key) + "key '" + prefix + key + "' must not be empty");
            }
            return s;
        }

        String string(String key, String fallback) {
            return c.hasPath(key) ? requiredString(key) : fallback;
        }

        <T> T parse(String key, java.util.function.Function<String, T> parser) {
            String text = c.hasPath(key) && c.getValue(key).valueType() == ConfigValueType.LIST
                    ? String.join(",", call(key, () -> c.getStringList(key)))
                    : requiredString(key);
            try {
                return parser.apply(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where(key) + "key '" + prefix + key + "': " + e.getMessage(), e);
            }
        }

        <T> T parse(String key, java.util.function.Function<String, T> parser, String fallback) {
            return c.hasPath(key) ? parse(key, parser) : parser.apply(fallback);
        }

        List<Integer> positiveInts(String key, List<Integer> fallback) {
            if (!c.hasPath(key)) {
                return fallback;
            }
            List<Integer> values = call(key, () -> c.getIntList(key));
            if (values.isEmpty() || values.stream().anyMatch(v -> v <= 0)) {
                throw new IllegalArgumentException(where(key) + "key '" + prefix + key + "' must be a non-empty list of"
                        + " positive integers, got " + values);
            }
            return List.copyOf(values);
        }

        int atLeast(String key, Integer fallback, int min) {
            if (!c.hasPath(key) && fallback != null) {
                return fallback;
            }
            int v = call(key, () -> c.getInt(key));
            if (v < min) {
                throw new IllegalArgumentException(where(key) + "key '" + prefix + key + "' must be >= " + min
                        + ", got " + v);
            }
            return v;
        }

        double positive(String key, Double fallback) {
            if (!c.hasPath(key) && fallback != null) {
                return fallback;
            }
            double v = call(key, () -> c.getDouble(key));
            if (!(v > 0) || !Double.isFinite(v)) {
                throw new IllegalArgumentException(where(key) + "key '" + prefix + key + "' must be positive and"
                        + " finite, got " + v);
            }
            return v;
        }
    }
}
