package io.fedpipe.job;

import io.fedpipe.aggregation.StrategyKind;
import io.fedpipe.config.ConfigReader;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.planning.DevicePreset;
import io.fedpipe.quant.QuantFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a {@link JobSpec} from a cluster job file ({@code jobs/*.conf}) or from the job part of a
 * simulator experiment ({@code experiments/*.conf}); a key means the same thing in both:
 * <pre>
 * model = minilm-l6                  # or fedpipe-lm-small (a decoder: a causal-LM job), or a Hugging Face
 *                                    # directory (cluster: with config.json, on every edge node)
 * task = wordnet-topics              # cluster: or a dataset name, each node reads &lt;data-dir&gt;/&lt;task&gt;/train.jsonl;
 *                                    # simulator: or a directory with train.jsonl and validation.jsonl;
 *                                    # a decoder: e2e, or a generation task directory (GenerationTasks)
 * limit-train = 2000                 # optional (0: all); limit-validation likewise
 * partition { kind = dirichlet, alpha = 0.5 }   # or { kind = iid } (default); a generation task: by = food
 *                                    # (the MR attribute Dirichlet skews), or { kind = attribute, by = area }
 * generation { round-prompts = 50, test-prompts = 0, beams = 1, length-penalty = 1, no-repeat-ngram = 0,
 *              max-new-tokens = 64 }   # causal-LM jobs: what is decoded after every round and at the end
 * strategy = fedpipe                 # fedpipe | flexlora | hetlora | fedavg-lora | raflora | florist
 *                                    # | fedavg-full (alias ft, simulator only)
 * rounds = 5
 * targets = "q,k,v,o"                # optional; alpha (16), lr (2e-3), warmup (0), max-length (64), seed (42)
 * planner {                          # optional (cluster: these are the defaults; simulator: without it the
 *                                    # nodes give fixed plans)
 *   formats = "fp32,int8,nf4"  batches = [8, 16]  ranks = [4, 8, 16]  min-steps = 10  max-steps = 200
 * }
 * importance { matrices = 16, probe-steps = 10, refresh-every = 0 }   # optional; without it every
 *                                    # candidate matrix gets an adapter; refresh-every 0: probe once
 * </pre>
 * Only in a cluster job: {@code partitions} (1: aggregator partitions), {@code quorum} (1: share of
 * planned deltas that closes a round early), {@code round-timeout} (10m: a round closes then with
 * what it has). Only in an experiment: {@code nodes} (required; read by
 * {@code io.fedpipe.simulation.Experiment}), {@code max-seconds} (no round starts after this many
 * emulated seconds), {@code method} and {@code setting} (report labels), {@code planner.device}
 * (cpu-2core: the preset of the simulated machine), {@code planner.idle-tolerance} (0.1),
 * {@code planner.work-weight} (0.8), {@code planner.round-stretch} (3), {@code importance.probe-rank}
 * (4); and an experiment's {@code importance} needs a {@code planner}, which full fine-tuning
 * cannot have. A key of the other side is refused with that reason, any other unknown key as a typo
 * (it must not fall back to a default silently). Every problem is one line naming the file, the line
 * and the key; all of them are reported at once.
 */
public final class JobSpecReader {

    /** Which file is read: the keys that only one side understands differ. */
    public enum Side { CLUSTER, EXPERIMENT }

    private static final Set<String> COMMON = Set.of("model", "task", "limit-train", "limit-validation", "partition",
            "strategy", "rounds", "targets", "alpha", "lr", "warmup", "max-length", "seed", "importance", "planner",
            "generation");
    private static final Map<String, String> CLUSTER_ONLY = only("cluster job files (jobs/)", "partitions", "quorum",
            "round-timeout");
    private static final Map<String, String> EXPERIMENT_ONLY = only("experiment files (the simulator)", "nodes",
            "max-seconds", "method", "setting");
    private static final Set<String> PLANNER = Set.of("formats", "batches", "ranks", "min-steps", "max-steps");
    private static final Map<String, String> PLANNER_EXPERIMENT_ONLY = only(
            "experiment files (a cluster plans with its nodes' measured devices and the default objective)",
            "device", "idle-tolerance", "work-weight", "round-stretch");
    private static final Set<String> IMPORTANCE = Set.of("matrices", "probe-steps", "refresh-every");
    private static final Map<String, String> IMPORTANCE_EXPERIMENT_ONLY = only("experiment files", "probe-rank");
    private static final Set<String> PARTITION = Set.of("kind", "alpha", "by");
    private static final Set<String> GENERATION = Set.of("round-prompts", "test-prompts", "beams", "length-penalty",
            "no-repeat-ngram", "max-new-tokens");
    private static final Pattern DATASET_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private JobSpecReader() {}

    private static Map<String, String> only(String where, String... keys) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String k : keys) {
            m.put(k, "is only for " + where);
        }
        return Map.copyOf(m);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> out = new HashSet<>(a);
        out.addAll(b);
        return Set.copyOf(out);
    }

    /** Reads a cluster job file from disk; the error messages name the file by its file name. */
    public static JobSpec readJob(Path file, String jobId) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such job file");
        }
        return parseJob(Files.readString(file, StandardCharsets.UTF_8), file.getFileName().toString(), jobId);
    }

    /**
     * Validates cluster job file text; {@code source} names it in errors, {@code jobId} becomes
     * the job's id. Throws {@link io.fedpipe.config.ConfigProblems} listing every problem.
     */
    public static JobSpec parseJob(String text, String source, String jobId) {
        ConfigReader r = ConfigReader.forFile(ConfigReader.parseString(text, source), source);
        JobSpec job = read(r, Side.CLUSTER, jobId);
        r.throwIfAny();
        return job;
    }

    /**
     * Reads the job keys of {@code r}, recording every problem in it (the caller throws, after
     * reading what else the file holds); where a value is wrong a stand-in takes its place.
     */
    public static JobSpec read(ConfigReader r, Side side, String jobId) {
        boolean cluster = side == Side.CLUSTER;
        r.refuseUnknown(union(COMMON, (cluster ? CLUSTER_ONLY : EXPERIMENT_ONLY).keySet()),
                cluster ? EXPERIMENT_ONLY : CLUSTER_ONLY);
        String model = r.string("model", PretrainedModels.MINILM_L6);
        if (cluster) {
            model = clusterModel(r, model);
        }
        String task = r.string("task");
        if (cluster && !task.isEmpty() && !DATASET_NAME.matcher(task).matches()) {
            r.error("task", "must be wordnet-topics or a dataset name (letters, digits, '.', '_', '-'), got '"
                    + task + "'");
        }
        JobSpec.Data data = new JobSpec.Data(task, r.atLeast("limit-train", 0, 0), r.atLeast("limit-validation", 0, 0),
                "iid", 0);
        if (r.has("partition")) {
            ConfigReader p = r.child("partition", PARTITION);
            String kind = p.string("kind").toLowerCase(Locale.ROOT);
            String by = p.string("by", "");
            if (kind.equals("dirichlet")) {
                data = new JobSpec.Data(task, data.limitTrain(), data.limitValidation(), kind, p.positive("alpha"), by);
            } else if (kind.equals("attribute")) {
                if (by.isEmpty()) {
                    p.error("by", "is required for kind = attribute (an MR attribute such as food, area, eatType)");
                }
                data = new JobSpec.Data(task, data.limitTrain(), data.limitValidation(), kind, 0, by);
            } else if (!kind.equals("iid") && !kind.isEmpty()) {
                p.error("kind", "must be iid, dirichlet or attribute, got '" + kind + "'");
            } else if (!by.isEmpty()) {
                p.error("by", "applies to kind = dirichlet or attribute, not iid");
            }
        }
        List<StrategyKind> allowed = cluster ? StrategyKind.lora() : List.of(StrategyKind.values());
        StrategyKind strategy = r.parsed("strategy", s -> StrategyKind.parse(s, allowed));
        strategy = strategy == null ? StrategyKind.FEDPIPE : strategy;
        int rounds = r.atLeast("rounds", 1);
        List<String> targets = r.parsed("targets",
                s -> LoraTarget.parseList(s).stream().sorted().map(LoraTarget::key).toList(), "q,k,v,o");
        float alpha = (float) r.positive("alpha", 16.0);
        float lr = (float) r.positive("lr", 2e-3);
        int warmup = r.atLeast("warmup", 0, 0);
        int maxLength = r.atLeast("max-length", 64, 2);
        long seed = r.longValue("seed", 42L);

        int partitions = r.atLeast("partitions", 1, 1);
        double quorum = r.positive("quorum", 1.0);
        if (quorum > 1) {
            r.error("quorum", "must be in (0, 1], got " + quorum);
            quorum = 1;
        }
        long roundTimeoutMs = r.durationMs("round-timeout", 600_000L);
        double maxSeconds = r.positive("max-seconds", Double.POSITIVE_INFINITY);
        String method = r.string("method", strategy.key());
        String setting = r.string("setting", "default");

        JobSpec.PlannerChoices planner = null;
        if (r.has("planner")) {
            planner = planner(r.child("planner", cluster ? PLANNER : union(PLANNER, PLANNER_EXPERIMENT_ONLY.keySet()),
                    cluster ? PLANNER_EXPERIMENT_ONLY : Map.of()));
            if (!cluster && strategy.fullWeights()) {
                r.errorIn("planner", "strategy " + strategy.key()
                        + " trains full weights; the planner plans LoRA ranks and quantized bases");
            }
        }
        JobSpec.ImportanceStage importance = null;
        if (r.has("importance")) {
            ConfigReader i = r.child("importance",
                    cluster ? IMPORTANCE : union(IMPORTANCE, IMPORTANCE_EXPERIMENT_ONLY.keySet()),
                    cluster ? IMPORTANCE_EXPERIMENT_ONLY : Map.of());
            importance = new JobSpec.ImportanceStage(i.atLeast("matrices", 1), i.atLeast("probe-steps", 10, 1),
                    i.atLeast("probe-rank", 4, 1), i.atLeast("refresh-every", 0, 0));
            if (!cluster && planner == null) {
                r.error("importance", "needs a 'planner' block: the planner sizes the selected matrices' ranks");
            }
        }
        JobSpec.Generation generation = JobSpec.Generation.DEFAULTS;
        if (r.has("generation")) {
            ConfigReader g = r.child("generation", GENERATION);
            JobSpec.Generation d = JobSpec.Generation.DEFAULTS;
            generation = new JobSpec.Generation(g.atLeast("round-prompts", d.roundPrompts(), 0),
                    g.atLeast("test-prompts", d.testPrompts(), 0), g.atLeast("beams", d.beams(), 1),
                    (float) g.positive("length-penalty", d.lengthPenalty()),
                    g.atLeast("no-repeat-ngram", d.noRepeatNgram(), 0), g.atLeast("max-new-tokens", d.maxNewTokens(), 1));
        }
        return new JobSpec(jobId, model, data, strategy.key(), rounds, targets == null ? List.of() : targets, alpha,
                lr, warmup, maxLength, seed, partitions, quorum, roundTimeoutMs, planner, importance, maxSeconds,
                method, setting, generation);
    }

    /** The built-in model, or a model directory as an absolute path (the nodes resolve it the same way). */
    private static String clusterModel(ConfigReader r, String model) {
        if (model.equalsIgnoreCase(PretrainedModels.MINILM_L6)) {
            return PretrainedModels.MINILM_L6;
        }
        if (model.equalsIgnoreCase(PretrainedModels.FEDPIPE_LM_SMALL)) {
            return PretrainedModels.FEDPIPE_LM_SMALL;
        }
        Path dir = Path.of(model);
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            r.error("model", "must be " + PretrainedModels.MINILM_L6 + ", " + PretrainedModels.FEDPIPE_LM_SMALL
                    + " or a model directory with config.json, got '" + model + "'");
            return model;
        }
        return dir.toAbsolutePath().normalize().toString();
    }

    private static JobSpec.PlannerChoices planner(ConfigReader p) {
        JobSpec.PlannerChoices d = JobSpec.PlannerChoices.DEFAULTS;
        String device = p.parsed("device", s -> DevicePreset.preset(s).name(), d.device());
        List<String> formats = p.parsed("formats", JobSpecReader::formats, String.join(",", d.formats()));
        List<Integer> batches = p.positiveInts("batches", d.batches());
        List<Integer> ranks = p.positiveInts("ranks", d.ranks());
        int minSteps = p.atLeast("min-steps", d.minSteps(), 1);
        int maxSteps = p.atLeast("max-steps", Math.max(d.maxSteps(), minSteps), minSteps);
        double idle = p.positive("idle-tolerance", d.idleTolerance());
        if (idle >= 1) {
            p.error("idle-tolerance", "must be < 1, got " + idle);
        }
        double work = p.positive("work-weight", d.workWeight());
        double stretch = p.positive("round-stretch", d.roundStretch());
        if (stretch < 1) {
            p.error("round-stretch", "must be >= 1, got " + stretch);
        }
        return new JobSpec.PlannerChoices(device == null ? d.device() : device, formats == null ? d.formats() : formats,
                batches, ranks, minSteps, maxSteps, idle, work, stretch);
    }

    /** Config names of the formats in {@code text} (comma-separated), in order, without repeats. */
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
}
