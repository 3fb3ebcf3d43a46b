package io.fedpipe.cluster.e2e;

import ai.djl.ndarray.NDManager;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.aggregation.StrategyKind;
import io.fedpipe.core.HostTensor;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.data.GenerationExample;
import io.fedpipe.data.GenerationPartitions;
import io.fedpipe.data.GenerationTasks;
import io.fedpipe.data.Partitioner;
import io.fedpipe.local.AdaptedDecoders;
import io.fedpipe.local.CausalLmLocalRound;
import io.fedpipe.local.CausalLmShard;
import io.fedpipe.local.DecoderBase;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.round.Emulation;
import io.fedpipe.round.GlobalModel;
import io.fedpipe.round.NodeRoundPlan;
import io.fedpipe.round.RoundEngine;
import io.fedpipe.simulation.InProcessSimulator;
import io.fedpipe.simulation.RoundScores;
import io.fedpipe.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A causal-LM job of the built-in decoder on E2E in the in-process simulator, split as a cluster
 * splits it (shard i of the participants, iid, the job's seed) and run on given plans: the global
 * adapters a cluster job on the same plans must equal.
 */
final class DecoderReference {

    private DecoderReference() {}

    static Map<MatrixId, ScaledAdapter> global(List<String> participants, List<NodeRoundPlan> plans, long seed,
            int limitTrain, float alpha, float lr, int warmup, int maxLength, Set<LoraTarget> targets)
            throws Exception {
        TransformerWeights weights = PretrainedModels.load(PretrainedModels.FEDPIPE_LM_SMALL);
        DecoderBase base = DecoderBase.load(PretrainedModels.FEDPIPE_LM_SMALL, weights);
        List<GenerationExample> pool = GenerationTasks.e2e(seed).train().subList(0, limitTrain);
        List<int[]> parts = GenerationPartitions.partition(pool, "iid", Partitioner.iid(), "", participants.size(),
                seed);
        try (TextTokenizer tokenizer = base.openTokenizer();
                NDManager manager = NDManager.newBaseManager()) {
            List<InProcessSimulator.SimNode<CausalLmShard>> nodes = new ArrayList<>();
            for (int i = 0; i < participants.size(); i++) {
                List<GenerationExample> mine = new ArrayList<>();
                for (int index : parts.get(i)) {
                    mine.add(pool.get(index));
                }
                nodes.add(new InProcessSimulator.SimNode<>(participants.get(i), CausalLmShard.of(participants.get(i),
                        mine, tokenizer, base.eosId(), maxLength, seed), Emulation.NONE));
            }
            AdaptedDecoders models = new AdaptedDecoders(weights, tokenizer, base.eosId(), alpha, seed);
            RoundEngine engine = new RoundEngine(StrategyKind.FEDPIPE.create(), alpha, models.shapes(targets));
            InProcessSimulator<CausalLmShard> sim = new InProcessSimulator<>(engine,
                    new CausalLmLocalRound(models, manager, lr, warmup), new InProcessSimulator.GlobalScoring() {
                        @Override
                        public Map<String, HostTensor> initialDense() {
                            return Map.of();
                        }

                        @Override
                        public RoundScores score(NDManager m, GlobalModel global, int round) {
                            return new RoundScores(Double.NaN, Double.NaN, Map.of());
                        }
                    }, nodes);
            sim.run(2, plans, manager);
            return sim.global().adapters();
        }
    }
}
