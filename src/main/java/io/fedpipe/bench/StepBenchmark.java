package io.fedpipe.bench;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.runtime.NativeTuning;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.quant.BaseQuantization;
import io.fedpipe.train.ClassificationObjective;
import io.fedpipe.train.LocalTrainer;
import io.fedpipe.train.TokenBatch;
import io.fedpipe.train.TrainingOptions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;

/**
 * One benchmark configuration, run in its own JVM (so thread count, MKL shim and peak memory
 * belong to this configuration alone): the engine's GEMM rate and the MiniLM LoRA training
 * step of the shape (batch 16, sequence 64, rank 8 on q, k, v, o, frozen base,
 * 26-class head, AdamW). Prints one JSON object on the line starting with {@code RESULT }.
 *
 * <p>Arguments: {@code bits threads steps layerwise(auto|true|false)}, or {@code gemm threads}.
 */
public final class StepBenchmark {

    static final int BATCH = 16;
    static final int SEQ = 64;
    static final int RANK = 8;
    static final int CLASSES = 26;

    private StepBenchmark() {}

    public static void main(String[] args) throws Exception {
        ObjectMapper json = new ObjectMapper();
        if (args[0].equals("gemm")) {
            int threads = Integer.parseInt(args[1]);
            EngineSetup.start(threads);
            ObjectNode o = json.createObjectNode();
            try (NDManager m = NDManager.newBaseManager()) {
                o.put("threads", threads);
                o.put("mkl_shim", NativeTuning.detect().shimLoaded());
                o.put("gemm_gflops", GemmPeak.measure(m, 1024, 7));
            }
            System.out.println("RESULT " + json.writeValueAsString(o));
            return;
        }
        String bits = args[0];
        int threads = Integer.parseInt(args[1]);
        int steps = Integer.parseInt(args[2]);
        boolean layerwise = args[3].equals("auto") ? !bits.equals("fp32") : Boolean.parseBoolean(args[3]);
        EngineSetup.start(threads);
        TransformerConfig c = TransformerConfig.miniLmL6();
        LoraConfig lora = LoraConfig.uniform(c.layers(), EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O),
                RANK, 2f * RANK, 0f);
        ObjectNode o = json.createObjectNode();
        try (NDManager m = NDManager.newBaseManager()) {
            double gemm = GemmPeak.measure(m, 1024, 7);
            TransformerWeights weights = PretrainedModels.miniLmL6();
            SequenceClassifier clf = new SequenceClassifier(
                    TransformerModel.create(m, weights, lora, BaseQuantization.factory(bits), 1), CLASSES, 1);
            weights = null;
            System.gc();
            long rssBefore = ProcessMemory.residentBytes();
            boolean peakReset = ProcessMemory.resetPeak();
            LocalTrainer<TokenBatch> trainer = new LocalTrainer<>(new ClassificationObjective(clf, false),
                    clf.trainableParameters(), new TrainingOptions(steps + 3, 1e-4f, 0, 0.01f, 1f, layerwise, 1));
            Random r = new Random(1);
            List<long[]> seqs = new ArrayList<>();
            int[] labels = new int[BATCH];
            for (int i = 0; i < BATCH; i++) {
                long[] s = new long[SEQ];
                s[0] = 101;
                for (int j = 1; j < SEQ - 1; j++) {
                    s[j] = 1000 + r.nextInt(28000);
                }
                s[SEQ - 1] = 102;
                seqs.add(s);
                labels[i] = r.nextInt(CLASSES);
            }
            for (int i = 0; i < 3; i++) {
                step(m, trainer, seqs, labels);
            }
            double[] times = new double[steps];
            for (int i = 0; i < steps; i++) {
                times[i] = step(m, trainer, seqs, labels);
            }
            java.util.Arrays.sort(times);
            double median = times[steps / 2];
            double flops = StepFlops.perStep(c, lora, BATCH, SEQ, CLASSES);
            o.put("bits", bits);
            o.put("threads", threads);
            o.put("layerwise", layerwise);
            o.put("mkl_shim", NativeTuning.detect().shimLoaded());
            o.put("step_ms", median * 1e3);
            o.put("tokens_per_s", BATCH * SEQ / median);
            o.put("effective_gflops", flops / median / 1e9);
            o.put("gemm_gflops", gemm);
            o.put("mfu", flops / median / 1e9 / gemm);
            o.put("flops_per_step", flops);
            o.put("frozen_linear_bytes", clf.encoder().frozenLinearBytes());
            o.put("rss_before_steps_bytes", rssBefore);
            o.put("peak_rss_bytes", ProcessMemory.peakResidentBytes());
            o.put("peak_reset", peakReset);
            o.put("step_peak_growth_bytes", ProcessMemory.peakResidentBytes() - rssBefore);
            o.put("heap_used_bytes", Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
        }
        System.out.println("RESULT " + json.writeValueAsString(o));
    }

    private static double step(NDManager m, LocalTrainer<TokenBatch> trainer, List<long[]> seqs, int[] labels) {
        long t0 = System.nanoTime();
        try (NDManager step = m.newSubManager()) {
            trainer.step(step, TokenBatch.of(step, seqs, labels, 0));
        }
        return (System.nanoTime() - t0) / 1e9;
    }
}
