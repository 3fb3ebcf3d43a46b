package io.fedpipe.bench;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.model.CausalLm;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.model.hf.HfConfigs;
import io.fedpipe.quant.BaseQuantization;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.runtime.NativeTuning;
import io.fedpipe.train.CausalLmObjective;
import io.fedpipe.train.LocalTrainer;
import io.fedpipe.train.TokenBatch;
import io.fedpipe.train.TrainingOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One causal-LM LoRA configuration, measured in its own JVM (child of {@code fedpipe bench step
 * --model fedpipe-lm-small|llama-shape:CONFIG}): the median training step (batch 8 × 128 tokens,
 * rank 8 on q, k, v, o, loss on every token), its effective GFLOP/s, and generation tokens/s of
 * 64 greedy tokens with and without the KV cache.
 *
 * <p>Arguments: {@code model bits threads steps layerwise(auto|true|false)}. A
 * {@code llama-shape:} model has random weights of that config's shape (speed does not depend on
 * the values).
 */
public final class CausalLmStepBenchmark {

    static final int BATCH = 8;
    static final int SEQ = 128;
    static final int RANK = 8;
    static final int NEW_TOKENS = 64;

    private CausalLmStepBenchmark() {}

    public static void main(String[] args) throws Exception {
        String model = args[0];
        String bits = args[1];
        int threads = Integer.parseInt(args[2]);
        int steps = Integer.parseInt(args[3]);
        boolean layerwise = args[4].equals("auto") ? !bits.equals("fp32") : Boolean.parseBoolean(args[4]);
        EngineSetup.start(threads);
        TransformerWeights weights = load(model);
        TransformerConfig c = weights.config();
        LoraConfig lora = LoraConfig.uniform(c.layers(), java.util.EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V,
                LoraTarget.O), RANK, 2f * RANK, 0f);
        ObjectMapper json = new ObjectMapper();
        ObjectNode o = json.createObjectNode();
        try (NDManager m = NDManager.newBaseManager()) {
            double gemm = GemmPeak.measure(m, 1024, 7);
            try (TransformerModel tm = TransformerModel.create(m, weights, lora, BaseQuantization.factory(bits), 1)) {
                weights = null;
                System.gc();
                long rssBefore = ProcessMemory.residentBytes();
                boolean peakReset = ProcessMemory.resetPeak();
                CausalLm lm = new CausalLm(tm);
                LocalTrainer<TokenBatch> trainer = new LocalTrainer<>(new CausalLmObjective(lm, false),
                        tm.adapterParameters(), new TrainingOptions(steps + 3, 1e-4f, 0, 0.01f, 1f, layerwise, 1));
                Random r = new Random(1);
                List<long[]> seqs = new ArrayList<>();
                for (int i = 0; i < BATCH; i++) {
                    long[] s = new long[SEQ];
                    for (int j = 0; j < SEQ; j++) {
                        s[j] = r.nextInt(c.vocabSize());
                    }
                    seqs.add(s);
                }
                for (int i = 0; i < 3; i++) {
                    step(m, trainer, seqs);
                }
                double[] times = new double[steps];
                for (int i = 0; i < steps; i++) {
                    times[i] = step(m, trainer, seqs);
                }
                java.util.Arrays.sort(times);
                double median = times[steps / 2];
                double flops = StepFlops.perCausalLmStep(c, lora, BATCH, SEQ);
                long peak = ProcessMemory.peakResidentBytes();
                long[] prompt = new long[16];
                for (int j = 0; j < prompt.length; j++) {
                    prompt[j] = r.nextInt(c.vocabSize());
                }
                lm.generate(m, prompt, 8, true); // warm-up
                long t0 = System.nanoTime();
                lm.generate(m, prompt, NEW_TOKENS, true);
                double cached = NEW_TOKENS / ((System.nanoTime() - t0) / 1e9);
                t0 = System.nanoTime();
                lm.generate(m, prompt, NEW_TOKENS, false);
                double uncached = NEW_TOKENS / ((System.nanoTime() - t0) / 1e9);
                o.put("model", model);
                o.put("parameters", TransformerWeights.random(c, 0).parameterCount());
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
                o.put("frozen_linear_bytes", tm.frozenLinearBytes());
                o.put("peak_rss_bytes", peak);
                o.put("peak_reset", peakReset);
                o.put("step_peak_growth_bytes", peak - rssBefore);
                o.put("generate_tokens_per_s_kv_cache", cached);
                o.put("generate_tokens_per_s_no_cache", uncached);
            }
        }
        System.out.println("RESULT " + json.writeValueAsString(o));
    }

    /** A built-in or directory model, or random weights of a config's shape ({@code llama-shape:FILE}). */
    static TransformerWeights load(String model) throws java.io.IOException {
        if (model.startsWith("llama-shape:")) {
            Path file = Path.of(model.substring("llama-shape:".length()));
            TransformerConfig c = HfConfigs.fromJson(new ObjectMapper().readTree(file.toFile()), file.toString());
            return TransformerWeights.random(c, 1);
        }
        return PretrainedModels.load(model);
    }

    private static double step(NDManager m, LocalTrainer<TokenBatch> trainer, List<long[]> seqs) {
        long t0 = System.nanoTime();
        try (NDManager step = m.newSubManager()) {
            trainer.step(step, TokenBatch.of(step, seqs, null, 0));
        }
        return (System.nanoTime() - t0) / 1e9;
    }
}
