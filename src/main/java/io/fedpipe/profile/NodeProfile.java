package io.fedpipe.profile;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.quant.QuantFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What a node measured on its own engine: step times of real LoRA training steps and the memory
 * of each base format. Plain data (no NDArrays), so it can be sent to a planner or written out.
 *
 * @param model    the profiled model's name
 * @param seq      tokens per example of every timed step
 * @param threads  intra-op threads the engine used
 * @param targets  matrices that carried adapters, in every layer
 * @param timings  one entry per timed configuration
 * @param memory   one entry per profiled base format
 */
public record NodeProfile(String model, int seq, int threads, Set<LoraTarget> targets, List<StepTiming> timings,
                          List<FormatMemory> memory) {

    public NodeProfile {
        if (seq <= 0) {
            throw new IllegalArgumentException("profile: seq must be positive: " + seq);
        }
        targets = Set.copyOf(EnumSet.copyOf(targets));
        timings = List.copyOf(timings);
        memory = List.copyOf(memory);
    }

    /**
     * The timed steps of one configuration (warm-up steps already discarded).
     *
     * @param flops      useful FLOPs of one step by {@code CostModel.stepFlops}
     * @param seconds    wall time of each timed step
     * @param cpuSeconds CPU time of the calling thread in each timed step: with one intra-op thread
     *                   PyTorch computes on that thread, so this is the step's compute without the
     *                   time other processes took the core (empty when the JVM cannot measure it)
     */
    public record StepTiming(QuantFormat format, int batch, int rank, double flops, List<Double> seconds,
                             List<Double> cpuSeconds) {

        public StepTiming {
            if (seconds == null || seconds.isEmpty()) {
                throw new IllegalArgumentException("timing " + format + " b" + batch + " r" + rank + " has no steps");
            }
            seconds = List.copyOf(seconds);
            cpuSeconds = cpuSeconds == null ? List.of() : List.copyOf(cpuSeconds);
        }

        public StepTiming(QuantFormat format, int batch, int rank, double flops, List<Double> seconds) {
            this(format, batch, rank, flops, seconds, List.of());
        }

        /** This timing with the thread CPU times as its step times. */
        public StepTiming onCpuClock() {
            if (cpuSeconds.isEmpty()) {
                throw new IllegalStateException("timing " + point() + " has no CPU times");
            }
            return new StepTiming(format, batch, rank, flops, cpuSeconds, cpuSeconds);
        }

        /** The median step time: robust to one step slowed by a GC or a neighbour's burst. */
        public double medianSeconds() {
            double[] s = seconds.stream().mapToDouble(Double::doubleValue).toArray();
            Arrays.sort(s);
            int n = s.length;
            return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        }

        public ProfilePoint point() {
            return new ProfilePoint(format, batch, rank);
        }
    }

    /**
     * Memory of one base format.
     *
     * @param baseLinearBytes exact device bytes of the stored frozen block linears (codes, scales, and for
     *                        NF4 each matrix's 2 KiB decode table)
     * @param baseOtherBytes  bytes of everything else in the base (embeddings, norms, biases; FP32 here)
     * @param rank            LoRA rank of the memory runs
     * @param smallBatch      batch of the first memory run
     * @param smallGrowthBytes peak resident growth over the idle model during the first run, or -1
     * @param largeBatch      batch of the second memory run
     * @param largeGrowthBytes the same for the second run, or -1
     */
    public record FormatMemory(QuantFormat format, long baseLinearBytes, long baseOtherBytes, int rank,
                               int smallBatch, long smallGrowthBytes, int largeBatch, long largeGrowthBytes) {

        public long baseBytes() {
            return baseLinearBytes + baseOtherBytes;
        }

        public boolean measured() {
            return smallGrowthBytes >= 0 && largeGrowthBytes >= 0 && largeBatch > smallBatch;
        }

        /** Slope of peak growth over batch size: what one more sample costs; NaN when not measured. */
        public double activationBytesPerSample() {
            return measured() ? (double) (largeGrowthBytes - smallGrowthBytes) / (largeBatch - smallBatch) : Double.NaN;
        }

        /**
         * The growth's intercept at batch 0: optimizer state, the step's fixed buffers and allocator
         * slack, all independent of the batch; NaN when not measured.
         */
        public double fixedStepBytes() {
            return measured() ? smallGrowthBytes - smallBatch * activationBytesPerSample() : Double.NaN;
        }
    }

    /**
     * This profile with each step's thread CPU time as its step time: the contention-free figure
     * on a shared machine, valid for one intra-op thread only.
     */
    public NodeProfile onCpuClock() {
        return new NodeProfile(model, seq, threads, targets, timings.stream().map(StepTiming::onCpuClock).toList(), memory);
    }

    /** Timings of one format, in profile order. */
    public List<StepTiming> timings(QuantFormat format) {
        return timings.stream().filter(t -> t.format() == format).toList();
    }

    public FormatMemory memory(QuantFormat format) {
        return memory.stream().filter(m -> m.format() == format).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the profile has no memory for " + format.configName()));
    }

    /** Formats with at least one timing, in enum order. */
    public List<QuantFormat> formats() {
        Set<QuantFormat> s = EnumSet.noneOf(QuantFormat.class);
        timings.forEach(t -> s.add(t.format()));
        return List.copyOf(s);
    }

    /** This profile with {@code other}'s timings and memory added (same model, seq, threads and targets). */
    public NodeProfile merge(NodeProfile other) {
        if (!model.equals(other.model) || seq != other.seq || threads != other.threads || !targets.equals(other.targets)) {
            throw new IllegalArgumentException("cannot merge profiles of different setups: " + model + "/" + seq
                    + "/" + threads + " and " + other.model + "/" + other.seq + "/" + other.threads);
        }
        List<StepTiming> t = new ArrayList<>(timings);
        t.addAll(other.timings);
        List<FormatMemory> m = new ArrayList<>(memory);
        m.addAll(other.memory);
        return new NodeProfile(model, seq, threads, targets, t, m);
    }
}
