package io.fedpipe.cluster.gateway;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValueType;
import io.fedpipe.cluster.protocol.JobDefinition;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.quant.QuantFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A job file (HOCON), as users submit it, read into a validated {@link JobDefinition}:
 * <pre>
 * model = minilm-l6                  # or a Hugging Face directory with config.json (on every edge node)
 * task = wordnet-topics              # or a dataset name: each node reads &lt;data-dir&gt;/&lt;task&gt;/train.jsonl
 * limit-train = 2000                 # optional (0: all); limit-validation likewise
 * partition { kind = dirichlet, alpha = 0.5 }   # or { kind = iid } (default)
 * strategy = fedpipe                 # fedpipe | flexlora | hetlora | fedavg-lora
 * rounds = 5
 * targets = "q,k,v,o"                # optional; alpha (16), lr (2e-3), warmup (0), max-length (64), seed (42)
 * partitions = 2                     # optional (1): aggregator partitions
 * quorum = 0.75                      # optional (1): share of planned deltas that closes a round early
 * round-timeout = 120s               # optional (10m): a round closes then with what it has
 * importance { matrices = 16, probe-steps = 10, refresh-every = 0 }   # optional; without it every
 *                                    # candidate matrix gets an adapter
 * planner { formats = "fp32,int8,nf4", batches = [8, 16], ranks = [4, 8, 16], min-steps = 5, max-steps = 40 }
 * </pre>
 * Unknown keys are refused (a typo must not fall back to a default silently). Every error is one
 * line naming the source, the line and the key, like experiment files ({@code ExperimentSpec}).
 */
public final class JobFile {

    /** Strategies a distributed LoRA job may use (full fine-tuning is a simulation baseline only). */
    public static final List<String> STRATEGIES = List.of("fedpipe", "flexlora", "hetlora", "fedavg-lora");

    private static final Set<String> TOP_KEYS = Set.of("model", "task", "limit-train", "limit-validation",
            "partition", "strategy", "rounds", "targets", "alpha", "lr", "warmup", "max-length", "seed", "partitions",
            "quorum", "round-timeout", "importance", "planner");
    private static final Set<String> PLANNER_KEYS = Set.of("formats", "batches", "ranks", "min-steps", "max-steps");
    private static final Set<String> IMPORTANCE_KEYS = Set.of("matrices", "probe-steps", "refresh-every");
    private static final Pattern DATASET_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private JobFile() {}

    /** Reads a job file from disk; the error messages name the file by its file name. */
    public static JobDefinition read(Path file, String jobId) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such job file");
        }
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.getFileName().toString(), jobId);
    }

    /** Validates job file text; {@code source} names it in errors, {@code jobId} becomes the job's id. */
    public static JobDefinition parse(String text, String source, String jobId) {
        Config c;
        try {
            c = ConfigFactory.parseString(text, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF)
                    .setOriginDescription(source)).resolve();
        } catch (ConfigException e) {
            // Typesafe's message starts with "<source>: <line>: "; keep it as "<source>:<line>: ".
            String m = oneLine(e.getMessage()).replaceFirst("^" + Pattern.quote(source) + ": (\\d+): ", source + ":$1: ");
            throw new IllegalArgumentException(m.startsWith(source) ? m : source + ": " + m, e);
        }
        Keys k = new Keys(c, source, "");
        k.refuseUnknown(TOP_KEYS);
        String model = k.string("model", PretrainedModels.MINILM_L6).strip();
        if (!model.equalsIgnoreCase(PretrainedModels.MINILM_L6)) {
            Path dir = Path.of(model);
            if (!Files.isRegularFile(dir.resolve("config.json"))) {
                throw k.error("model", "must be " + PretrainedModels.MINILM_L6
                        + " or a model directory with config.json, got '" + model + "'");
            }
            model = dir.toAbsolutePath().normalize().toString();
        } else {
            model = PretrainedModels.MINILM_L6;
        }
        String task = k.requiredString("task").strip();
        if (!DATASET_NAME.matcher(task).matches()) {
            throw k.error("task", "must be wordnet-topics or a dataset name (letters, digits, '.', '_', '-'),"
                    + " got '" + task + "'");
        }
        int limitTrain = k.atLeast("limit-train", 0, 0);
        int limitValidation = k.atLeast("limit-validation", 0, 0);
        String partitionKind = "iid";
        double dirichletAlpha = 0;
        if (c.hasPath("partition")) {
            Keys p = k.child("partition", PARTITION_KEYS);
            partitionKind = p.requiredString("kind").strip().toLowerCase(Locale.ROOT);
            if (partitionKind.equals("dirichlet")) {
                dirichletAlpha = p.positive("alpha", null);
            } else if (!partitionKind.equals("iid")) {
                throw p.error("kind", "must be iid or dirichlet, got '" + partitionKind + "'");
            }
        }
        String strategy = k.requiredString("strategy").strip().toLowerCase(Locale.ROOT);
        if (!STRATEGIES.contains(strategy)) {
            throw k.error("strategy", "unknown strategy '" + strategy + "'; valid: " + String.join(", ", STRATEGIES));
        }
        int rounds = k.atLeast("rounds", null, 1);
        List<String> targets = k.parse("targets",
                s -> LoraTarget.parseList(s).stream().sorted().map(LoraTarget::key).toList(), "q,k,v,o");
        float alpha = (float) k.positive("alpha", 16.0);
        float lr = (float) k.positive("lr", 2e-3);
        int warmup = k.atLeast("warmup", 0, 0);
        int maxLength = k.atLeast("max-length", 64, 2);
        long seed = c.hasPath("seed") ? k.call("seed", () -> c.getLong("seed")) : 42L;
        int partitions = k.atLeast("partitions", 1, 1);
        double quorum = k.positive("quorum", 1.0);
        if (quorum > 1) {
            throw k.error("quorum", "must be in (0, 1], got " + quorum);
        }
        long timeoutMs = c.hasPath("round-timeout")
                ? k.call("round-timeout", () -> c.getDuration("round-timeout", TimeUnit.MILLISECONDS)) : 600_000L;
        if (timeoutMs <= 0) {
            throw k.error("round-timeout", "must be positive, got " + timeoutMs + " ms");
        }
        int matrices = 0;
        int probeSteps = 10;
        int refreshEvery = 0;
        if (c.hasPath("importance")) {
            Keys i = k.child("importance", IMPORTANCE_KEYS);
            matrices = i.atLeast("matrices", null, 1);
            probeSteps = i.atLeast("probe-steps", 10, 1);
            refreshEvery = i.atLeast("refresh-every", 0, 0);
        }
        Keys p = c.hasPath("planner") ? k.child("planner", PLANNER_KEYS) : new Keys(ConfigFactory.empty(), source, "planner.");
        List<String> formats = p.parse("formats", JobFile::formats, "fp32,int8,nf4");
        List<Integer> batches = p.positiveInts("batches", List.of(8, 16));
        List<Integer> ranks = p.positiveInts("ranks", List.of(4, 8, 16));
        int minSteps = p.atLeast("min-steps", 10, 1);
        int maxSteps = p.atLeast("max-steps", Math.max(200, minSteps), minSteps);
        return new JobDefinition(jobId, model, task, limitTrain, limitValidation, partitionKind, dirichletAlpha,
                strategy, rounds, targets, alpha, lr, warmup, maxLength, seed, partitions, quorum, timeoutMs, matrices,
                probeSteps, refreshEvery, formats, batches, ranks, minSteps, maxSteps);
    }

    private static final Set<String> PARTITION_KEYS = Set.of("kind", "alpha");

    private static List<String> formats(String text) {
        List<String> out = new ArrayList<>();
        for (String part : text.split(",")) {
            String f = QuantFormat.parse(part.strip()).configName();
            if (!out.contains(f)) {
                out.add(f);
            }
        }
        return out;
    }

    private static String oneLine(String message) {
        return message.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** Typed access to one object's keys; every error names source, line and key. */
    private static final class Keys {
        private final Config c;
        private final String source;
        private final String prefix;

        Keys(Config c, String source, String prefix) {
            this.c = c;
            this.source = source;
            this.prefix = prefix;
        }

        Keys child(String key, Set<String> known) {
            Keys k = new Keys(call(key, () -> c.getConfig(key)), source, prefix + key + ".");
            k.refuseUnknown(known);
            return k;
        }

        IllegalArgumentException error(String key, String problem) {
            int line = c.hasPath(key) ? c.getValue(key).origin().lineNumber() : c.origin().lineNumber();
            return new IllegalArgumentException(source + (line > 0 ? ":" + line : "") + ": key '" + prefix + key
                    + "' " + problem);
        }

        void refuseUnknown(Set<String> known) {
            for (String key : c.root().keySet()) {
                if (!known.contains(key)) {
                    int line = c.getValue(key).origin().lineNumber();
                    throw new IllegalArgumentException(source + (line > 0 ? ":" + line : "") + ": unknown key '"
                            + prefix + key + "'; valid: " + String.join(", ", new TreeSet<>(known)));
                }
            }
        }

        <T> T call(String key, Supplier<T> get) {
            if (!c.hasPath(key)) {
                int line = c.origin().lineNumber();
                throw new IllegalArgumentException(source + (line > 0 ? ":" + line : "") + ": missing key '"
                        + prefix + key + "'");
            }
            try {
                return get.get();
            } catch (ConfigException e) {
                throw error(key, oneLine(e.getMessage().replaceFirst("^.*?: \\d+: ", "")
                        .replaceFirst("^Invalid value at '[^']*': ", "")));
            }
        }

        String requiredString(String key) {
            String s = call(key, () -> c.getString(key));
            if (s.isBlank()) {
                throw error(key, "must not be empty");
            }
            return s;
        }

        String string(String key, String fallback) {
            return c.hasPath(key) ? requiredString(key) : fallback;
        }

        <T> T parse(String key, Function<String, T> parser, String fallback) {
            if (!c.hasPath(key)) {
                return parser.apply(fallback);
            }
            String text = c.getValue(key).valueType() == ConfigValueType.LIST
                    ? String.join(",", call(key, () -> c.getStringList(key))) : requiredString(key);
            try {
                return parser.apply(text);
            } catch (IllegalArgumentException e) {
                throw error(key, e.getMessage());
            }
        }

        List<Integer> positiveInts(String key, List<Integer> fallback) {
            if (!c.hasPath(key)) {
                return fallback;
            }
            List<Integer> values = call(key, () -> c.getIntList(key));
            if (values.isEmpty() || values.stream().anyMatch(v -> v <= 0)) {
                throw error(key, "must be a non-empty list of positive integers, got " + values);
            }
            return List.copyOf(new TreeSet<>(values));
        }

        int atLeast(String key, Integer fallback, int min) {
            if (!c.hasPath(key) && fallback != null) {
                return fallback;
            }
            int v = call(key, () -> c.getInt(key));
            if (v < min) {
                throw error(key, "must be >= " + min + ", got " + v);
            }
            return v;
        }

        double positive(String key, Double fallback) {
            if (!c.hasPath(key) && fallback != null) {
                return fallback;
            }
            double v = call(key, () -> c.getDouble(key));
            if (!(v > 0) || !Double.isFinite(v)) {
                throw error(key, "must be positive and finite, got " + v);
            }
            return v;
        }
    }
}
