package io.fedpipe.profile;

import ai.djl.ndarray.NDManager;
import io.fedpipe.bench.ProcessMemory;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.model.BlockWeights;
import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.model.LinearWeights;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.planning.CostModel;
import io.fedpipe.planning.ModelShape;
import io.fedpipe.quant.QuantFormat;
import io.fedpipe.quant.QuantOptions;
import io.fedpipe.quant.QuantizedFrozenWeight;
import io.fedpipe.quant.QuantizedWeight;
import io.fedpipe.train.ClassificationObjective;
import io.fedpipe.train.LocalTrainer;
import io.fedpipe.train.TokenBatch;
import io.fedpipe.train.TrainingOptions;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Measures a node on its own engine: real LoRA training steps of an encoder classifier (the
 * trainer, optimizer and per-format backprop mode of a local round: per-block recompute for every
 * base but FP32) and the memory of each base format.
 *
 * <p><b>Time.</b> Per configuration a fresh trainer runs {@code warmupSteps} discarded steps (first
 * allocations, JIT, AdamW state) and then {@code timedSteps} timed ones; the profile keeps each
 * timed step. Token ids are random but seeded, every example is exactly {@code seq} tokens.
 *
 * <p><b>Memory.</b> Base bytes are exact: the stored frozen linears ({@code storedBytes} of each
 * quantized weight) plus the float parameters. Activation bytes are measured, not modelled: the
 * process's peak resident growth over the idle model (Linux {@code VmHWM}, reset per run) at two
 * batch sizes; the slope is bytes per sample. Both runs of a format use the same baseline, the
 * small batch first, so memory the allocator keeps after the first run does not hide the second
 * run's need. Memory freed by an earlier format and kept by the allocator hides a later format's
 * growth (seen here: int8 and nf4 measured 0 after fp32), so {@link #profile} is exact for time and
 * base bytes but its activation figures are only right for the first format; {@code bench profile}
 * measures each format's memory in its own JVM ({@link MemoryWorker}).
 */
public final class NodeProfiler {

    /**
     * @param seq          tokens per example
     * @param targets      matrices that get adapters, in every layer
     * @param classes      labels of the classification head
     * @param warmupSteps  discarded steps per configuration
     * @param timedSteps   timed steps per configuration
     * @param memoryRank   LoRA rank of the memory runs
     * @param memorySmallBatch batch of the first memory run
     * @param memoryLargeBatch batch of the second memory run (larger)
     * @param memorySteps  steps per memory run (the peak of the first step onwards)
     * @param seed         seeds the token ids, labels and adapters
     */
    public record Settings(int seq, Set<LoraTarget> targets, int classes, int warmupSteps, int timedSteps,
                           int memoryRank, int memorySmallBatch, int memoryLargeBatch, int memorySteps, long seed) {

        public Settings {
            if (seq <= 0 || classes < 2 || warmupSteps < 0 || timedSteps < 1 || memoryRank < 1 || memorySteps < 1) {
                throw new IllegalArgumentException("profiler settings: need seq > 0, classes >= 2, warm-up >= 0, "
                        + "timed steps >= 1, memory rank >= 1 and memory steps >= 1");
            }
            if (memorySmallBatch < 1 || memoryLargeBatch <= memorySmallBatch) {
                throw new IllegalArgumentException("profiler settings: need 1 <= small memory batch < large memory batch: "
                        + memorySmallBatch + ", " + memoryLargeBatch);
            }
            targets = Set.copyOf(targets);
        }

        /**
         * q, k, v, o adapted (the planner's default), 26 classes, 2 warm-up and 3 timed steps,
         * memory at rank 8 with batches 4 and 16, 2 steps each.
         */
        public static Settings defaults(int seq) {
            return new Settings(seq, Set.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O), 26, 2, 3,
                    8, 4, 16, 2, 1);
        }
    }

    /** Discarded steps before the first timed configuration of this profiler. */
    static final int PROCESS_WARMUP_STEPS = 8;

    private boolean processWarm;
    private final NDManager parent;
    private final TransformerWeights weights;
    private final String modelName;
    private final ModelShape shape;
    private final Settings settings;
    private final Map<QuantFormat, Map<MatrixId, QuantizedWeight>> quantized = new EnumMap<>(QuantFormat.class);

    /**
     * @param parent    manager the models are built under (each is closed after its runs)
     * @param weights   the base model on the host (an encoder)
     * @param modelName name recorded in the profile
     */
    public NodeProfiler(NDManager parent, TransformerWeights weights, String modelName, Settings settings) {
        if (weights.config().family() != TransformerConfig.Family.BERT) {
            throw new IllegalArgumentException("the profiler times encoder classification; got a "
                    + weights.config().family() + " model");
        }
        if (settings.seq() > weights.config().maxPositions()) {
            throw new IllegalArgumentException("seq " + settings.seq() + " exceeds the model's "
                    + weights.config().maxPositions() + " positions");
        }
        this.parent = parent;
        this.weights = weights;
        this.modelName = modelName;
        this.shape = ModelShape.of(modelName, weights.config());
        this.settings = settings;
    }

    public ModelShape shape() {
        return shape;
    }

    /** Times every point of {@code grid} and measures memory of every format in it. */
    public NodeProfile profile(List<ProfilePoint> grid) {
        List<NodeProfile.FormatMemory> memory = new ArrayList<>();
        for (QuantFormat f : formatsOf(grid)) {
            memory.add(measureMemory(f));
        }
        return new NodeProfile(modelName, settings.seq(), EngineSetup.threads(), settings.targets(), time(grid), memory);
    }

    /** Times each point; points of one format and rank share one model. */
    public List<NodeProfile.StepTiming> time(List<ProfilePoint> points) {
        Map<QuantFormat, Map<Integer, List<ProfilePoint>>> grouped = new EnumMap<>(QuantFormat.class);
        for (ProfilePoint p : points) {
            grouped.computeIfAbsent(p.format(), f -> new LinkedHashMap<>())
                    .computeIfAbsent(p.rank(), r -> new ArrayList<>()).add(p);
        }
        Map<ProfilePoint, NodeProfile.StepTiming> done = new LinkedHashMap<>();
        for (Map.Entry<QuantFormat, Map<Integer, List<ProfilePoint>>> byFormat : grouped.entrySet()) {
            for (Map.Entry<Integer, List<ProfilePoint>> byRank : byFormat.getValue().entrySet()) {
                try (NDManager scope = parent.newSubManager();
                        SequenceClassifier clf = build(scope, byFormat.getKey(), byRank.getKey())) {
                    if (!processWarm) {
                        // The process's first steps also pay the JIT and the allocator's first growth:
                        // seen here as a too-slow first configuration, biasing the fit's intercept.
                        ProfilePoint first = byRank.getValue().get(0);
                        run(scope, clf, first.format(), first.batch(), 0, PROCESS_WARMUP_STEPS, new ArrayList<>());
                        processWarm = true;
                    }
                    for (ProfilePoint p : byRank.getValue()) {
                        List<Double> cpu = new ArrayList<>();
                        List<Double> seconds = run(scope, clf, p.format(), p.batch(), settings.warmupSteps(),
                                settings.timedSteps(), cpu);
                        double flops = CostModel.stepFlops(shape, settings.targets(), p.rank(), p.batch(), settings.seq());
                        done.put(p, new NodeProfile.StepTiming(p.format(), p.batch(), p.rank(), flops, seconds, cpu));
                    }
                }
            }
        }
        return points.stream().map(done::get).toList();
    }

    /**
     * Base bytes and peak growth at the two memory batches of one format. Run it in a fresh process
     * (see {@link MemoryWorker}) for a figure no earlier format's freed memory can hide.
     */
    public NodeProfile.FormatMemory measureMemory(QuantFormat format) {
        try (NDManager scope = parent.newSubManager();
                SequenceClassifier clf = build(scope, format, settings.memoryRank())) {
            long linear = clf.encoder().frozenLinearBytes();
            long other = (weights.parameterCount() - linearElements(weights)) * Float.BYTES;
            System.gc();
            long idle = ProcessMemory.residentBytes();
            long small = peakGrowth(scope, clf, format, settings.memorySmallBatch(), idle);
            long large = peakGrowth(scope, clf, format, settings.memoryLargeBatch(), idle);
            return new NodeProfile.FormatMemory(format, linear, other, settings.memoryRank(), settings.memorySmallBatch(), small,
                    settings.memoryLargeBatch(), large);
        }
    }

    private long peakGrowth(NDManager scope, SequenceClassifier clf, QuantFormat format, int batch, long idle) {
        boolean reset = ProcessMemory.resetPeak();
        run(scope, clf, format, batch, 0, settings.memorySteps(), new ArrayList<>());
        long peak = ProcessMemory.peakResidentBytes();
        return reset && idle >= 0 && peak >= 0 ? Math.max(0, peak - idle) : -1;
    }

    /** Elements of the frozen block linears: the part a format stores in its own encoding. */
    static long linearElements(TransformerWeights w) {
        long n = 0;
        for (BlockWeights b : w.blocks()) {
            for (LinearWeights l : b.linears().values()) {
                n += l.weight().data().length;
            }
        }
        return n;
    }

    private SequenceClassifier build(NDManager scope, QuantFormat format, int rank) {
        LoraConfig lora = LoraConfig.uniform(weights.config().layers(), settings.targets(), rank, 2f * rank, 0f);
        TransformerModel encoder = TransformerModel.create(scope, weights, lora, freezer(format), settings.seed());
        return new SequenceClassifier(encoder, settings.classes(), settings.seed());
    }

    /** Quantizes each weight once per format, so a format's models at several ranks share the work. */
    private FrozenWeightFactory freezer(QuantFormat format) {
        if (format == QuantFormat.FP32) {
            return FrozenWeightFactory.dense();
        }
        Map<MatrixId, QuantizedWeight> cache = quantized.computeIfAbsent(format, f -> new java.util.HashMap<>());
        return (manager, id, weight) -> new QuantizedFrozenWeight(manager,
                cache.computeIfAbsent(id, k -> QuantizedWeight.quantize(weight, format, QuantOptions.defaults())));
    }

    /**
     * Runs {@code warmup + timed} steps of a fresh trainer; returns the timed steps' wall seconds and
     * adds their thread CPU seconds to {@code cpu} (nothing where the JVM cannot measure it).
     */
    private List<Double> run(NDManager scope, SequenceClassifier clf, QuantFormat format, int batch, int warmup, int timed,
                             List<Double> cpu) {
        ThreadMXBean threadBean = ManagementFactory.getThreadMXBean();
        boolean cpuClock = threadBean.isCurrentThreadCpuTimeSupported();
        boolean layerwise = format != QuantFormat.FP32;
        LocalTrainer<TokenBatch> trainer = new LocalTrainer<>(new ClassificationObjective(clf, false),
                clf.trainableParameters(), new TrainingOptions(warmup + timed, 1e-4f, 0, 0.01f, 1f, layerwise, settings.seed()));
        Random r = new Random(settings.seed() * 31 + batch);
        List<long[]> ids = new ArrayList<>();
        int[] labels = new int[batch];
        int vocab = weights.config().vocabSize();
        for (int i = 0; i < batch; i++) {
            long[] s = new long[settings.seq()];
            for (int j = 0; j < s.length; j++) {
                s[j] = r.nextInt(vocab);
            }
            ids.add(s);
            labels[i] = r.nextInt(settings.classes());
        }
        List<Double> seconds = new ArrayList<>();
        for (int i = 0; i < warmup + timed; i++) {
            long c0 = cpuClock ? threadBean.getCurrentThreadCpuTime() : 0;
            long t0 = System.nanoTime();
            try (NDManager step = scope.newSubManager()) {
                trainer.step(step, TokenBatch.of(step, ids, labels, 0));
            }
            if (i >= warmup) {
                seconds.add((System.nanoTime() - t0) / 1e9);
                if (cpuClock) {
                    cpu.add((threadBean.getCurrentThreadCpuTime() - c0) / 1e9);
                }
            }
        }
        return seconds;
    }

    private static List<QuantFormat> formatsOf(List<ProfilePoint> grid) {
        return grid.stream().map(ProfilePoint::format).distinct().sorted().toList();
    }

}
