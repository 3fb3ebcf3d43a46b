package io.fedpipe.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.model.CausalLm;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.quant.BaseQuantization;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.train.CausalLmObjective;
import io.fedpipe.train.ClassificationObjective;
import io.fedpipe.train.LayeredObjective;
import io.fedpipe.train.LocalTrainer;
import io.fedpipe.train.TokenBatch;
import io.fedpipe.train.TrainingOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;

/**
 * One point of {@code fedpipe bench memory}, in its own JVM so that no other configuration's
 * allocator cache hides this one's growth: the peak RSS growth of LoRA training steps over the
 * idle loaded model (measured as {@link StepBenchmark} does: model built, GC run, peak reset,
 * then the steps), and the median step time. The base format's default backprop is used
 * (per-block recompute for every format but fp32), LoRA rank 8 on q, k, v, o.
 *
 * <p>Arguments: {@code model bits batch seq threads steps}. {@code minilm-l6} trains the 26-class
 * classifier of {@link StepBenchmark}; any other model is a decoder trained on the causal-LM loss
 * over every token ({@link CausalLmStepBenchmark#load}: built-in, directory or
 * {@code llama-shape:CONFIG}). Prints one JSON object on the line starting with {@code RESULT }.
 */
public final class MemoryBenchmark {

    static final int RANK = 8;
    static final int CLASSES = 26;

    private MemoryBenchmark() {}

    public static void main(String[] args) throws Exception {
        String model = args[0];
        String bits = args[1];
        int batch = Integer.parseInt(args[2]);
        int seq = Integer.parseInt(args[3]);
        int threads = Integer.parseInt(args[4]);
        int steps = Integer.parseInt(args[5]);
        boolean layerwise = !bits.equals("fp32");
        boolean encoder = model.equalsIgnoreCase(PretrainedModels.MINILM_L6);
        EngineSetup.start(threads);
        TransformerWeights weights = encoder ? PretrainedModels.miniLmL6() : CausalLmStepBenchmark.load(model);
        TransformerConfig c = weights.config();
        LoraConfig lora = LoraConfig.uniform(c.layers(), EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O),
                RANK, 2f * RANK, 0f);
        ObjectNode o = new ObjectMapper().createObjectNode();
        try (NDManager m = NDManager.newBaseManager()) {
            TransformerModel tm = TransformerModel.create(m, weights, lora, BaseQuantization.factory(bits), 1);
            LayeredObjective<TokenBatch> objective;
            List<NDArray> trainable;
            if (encoder) {
                SequenceClassifier clf = new SequenceClassifier(tm, CLASSES, 1);
                objective = new ClassificationObjective(clf, false);
                trainable = clf.trainableParameters();
            } else {
                objective = new CausalLmObjective(new CausalLm(tm), false);
                trainable = tm.adapterParameters();
            }
            long adapterParameters = 0;
            for (NDArray p : tm.adapterParameters()) {
                adapterParameters += p.size();
            }
            weights = null;
            System.gc();
            long rssBefore = ProcessMemory.residentBytes();
            boolean peakReset = ProcessMemory.resetPeak();
            LocalTrainer<TokenBatch> trainer = new LocalTrainer<>(objective, trainable,
                    new TrainingOptions(steps + 1, 1e-4f, 0, 0.01f, 1f, layerwise, 1));
            Random r = new Random(1);
            List<long[]> seqs = new ArrayList<>();
            int[] labels = encoder ? new int[batch] : null;
            for (int i = 0; i < batch; i++) {
                long[] s = new long[seq];
                for (int j = 0; j < seq; j++) {
                    // MiniLM: ordinary word pieces (above the special tokens); decoders: any token.
                    s[j] = encoder ? 1000 + r.nextInt(28000) : r.nextInt(c.vocabSize());
                }
                seqs.add(s);
                if (encoder) {
                    labels[i] = r.nextInt(CLASSES);
                }
            }
            step(m, trainer, seqs, labels); // warm-up: creates the AdamW moments
            double[] times = new double[steps];
            for (int i = 0; i < steps; i++) {
                times[i] = step(m, trainer, seqs, labels);
            }
            Arrays.sort(times);
            long peak = ProcessMemory.peakResidentBytes();
            o.put("model", model);
            o.put("bits", bits);
            o.put("batch", batch);
            o.put("seq", seq);
            o.put("threads", threads);
            o.put("layerwise", layerwise);
            o.put("adapter_parameters", adapterParameters);
            o.put("frozen_linear_bytes", tm.frozenLinearBytes());
            o.put("step_ms", times[steps / 2] * 1e3);
            o.put("rss_before_steps_bytes", rssBefore);
            o.put("peak_rss_bytes", peak);
            o.put("peak_reset", peakReset);
            o.put("step_peak_growth_bytes", peak - rssBefore);
            tm.close();
        }
        System.out.println("RESULT " + new ObjectMapper().writeValueAsString(o));
    }

    private static double step(NDManager m, LocalTrainer<TokenBatch> trainer, List<long[]> seqs, int[] labels) {
        long t0 = System.nanoTime();
        try (NDManager step = m.newSubManager()) {
            trainer.step(step, TokenBatch.of(step, seqs, labels, 0));
        }
        return (System.nanoTime() - t0) / 1e9;
    }
}
