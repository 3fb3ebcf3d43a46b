package io.fedpipe.bench;

import ai.djl.ndarray.NDManager;
import io.fedpipe.engine.EngineSetup;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.lora.LoraTarget;
import io.fedpipe.model.FrozenWeightFactory;
import io.fedpipe.model.SequenceClassifier;
import io.fedpipe.model.TransformerConfig;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.train.ClassificationObjective;
import io.fedpipe.train.LocalTrainer;
import io.fedpipe.train.TokenBatch;
import io.fedpipe.train.TrainingOptions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;

/** Throwaway probe (not a test): MiniLM-shaped LoRA step throughput. */
public final class StepProbe {
    public static void main(String[] args) {
        int threads = Integer.parseInt(args[0]);
        boolean layerwise = Boolean.parseBoolean(args[1]);
        EngineSetup.start(threads);
        TransformerConfig c = TransformerConfig.miniLmL6();
        LoraConfig lora = LoraConfig.uniform(6, LoraTarget.parseList(System.getProperty("targets", "q,k,v,o")), 8, 16, 0);
        try (NDManager m = NDManager.newBaseManager()) {
            System.out.println("gemm " + GemmPeak.measure(m, 1024, 5));
            SequenceClassifier clf = new SequenceClassifier(TransformerModel.create(m, TransformerWeights.random(c, 1), lora, FrozenWeightFactory.dense(), 1), 26, 1);
            LocalTrainer<TokenBatch> tr = new LocalTrainer<>(new ClassificationObjective(clf, false), clf.trainableParameters(),
                    new TrainingOptions(1000, 1e-4f, 0, 0.01f, 1f, layerwise, 1));
            Random r = new Random(1);
            List<long[]> seqs = new ArrayList<>();
            int[] labels = new int[16];
            for (int i = 0; i < 16; i++) {
                long[] s = new long[64];
                for (int j = 0; j < 64; j++) s[j] = 1000 + r.nextInt(20000);
                seqs.add(s);
                labels[i] = r.nextInt(26);
            }
            for (int i = 0; i < 25; i++) {
                if (i == 20 && args.length > 2) ai.djl.pytorch.jni.JniUtils.startProfile(false, false, false);
                long t0 = System.nanoTime();
                try (NDManager step = m.newSubManager()) {
                    tr.step(step, TokenBatch.of(step, seqs, labels, 0));
                }
                double s = (System.nanoTime() - t0) / 1e9;
                if (i >= 5) System.out.printf("step %.1f ms  %.0f tok/s  %.1f GFLOP/s%n", s * 1e3, 1024 / s,
                        StepFlops.perStep(c, lora, 16, 64, 26) / s / 1e9);
            }
            if (args.length > 2) ai.djl.pytorch.jni.JniUtils.stopProfile(args[2]);
        }
    }
}
