package io.fedpipe.local;

import ai.djl.ndarray.NDManager;
import io.fedpipe.core.MatrixId;
import io.fedpipe.data.SeededRandom;
import io.fedpipe.importance.ImportanceProbe;
import io.fedpipe.model.CausalLm;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.quant.QuantFormat;
import io.fedpipe.train.CausalLmFineTuning;
import io.fedpipe.train.CausalLmObjective;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * FedPipe's importance stage on one node of a causal-LM job: a short {@link ImportanceProbe} on the
 * completion-token loss with SVD-form adapters of rank {@code probeRank} on every candidate matrix
 * (attention and MLP: {@code q,k,v,o,gate,up,down}, or GPT-2's), over the node's own sequences,
 * with the base stored as the node will train it. Same contract and scores as
 * {@link ClassifierImportance}.
 */
public final class CausalLmImportance {

    /** As {@link ClassifierImportance}: AdaLoRA's orthogonality term flattens a short probe's ranking. */
    private static final float PROBE_GAMMA = 0f;

    private CausalLmImportance() {}

    public static ClassifierImportance.Scores probe(AdaptedDecoders models, NDManager parent, String nodeId,
            CausalLmShard data, Collection<MatrixId> candidates, String bits, int probeRank, int steps, int batch,
            float lr, long seed) {
        if (data.size() == 0) {
            throw new IllegalArgumentException("node " + nodeId + " has no training sequences to probe importance on");
        }
        Map<MatrixId, Integer> ranks = new TreeMap<>();
        candidates.forEach(id -> ranks.put(id, probeRank));
        long nodeSeed = seed * 31 + nodeId.hashCode() * 1_000_003L;
        int[] order = SeededRandom.forPurpose(nodeSeed, "importance-batches").permutation(data.size());
        int b = Math.min(batch, data.size());
        int[] next = {0};
        try (NDManager scope = parent.newSubManager();
                TransformerModel model = models.build(scope, ranks, bits, Map.of())) {
            CausalLmObjective objective = new CausalLmObjective(new CausalLm(model), false);
            ComputeClock clock = ComputeClock.start();
            Map<MatrixId, Double> scores = ImportanceProbe.run(model, objective, step -> {
                List<CausalLmFineTuning.Encoded> picked = new ArrayList<>(b);
                for (int i = 0; i < b; i++) {
                    picked.add(data.train().get(order[next[0]++ % order.length]));
                }
                return CausalLmFineTuning.batch(step, picked, models.eosId());
            }, new ImportanceProbe.Options(steps, lr, PROBE_GAMMA, nodeSeed,
                    !QuantFormat.FP32.configName().equals(bits)));
            return new ClassifierImportance.Scores(nodeId, scores, clock.seconds(), data.size());
        }
    }
}
