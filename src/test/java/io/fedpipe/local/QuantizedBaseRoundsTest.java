package io.fedpipe.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.aggregation.StrategyKind;
import io.fedpipe.core.HostTensor;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.data.GenerationExample;
import io.fedpipe.data.GenerationTasks;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.model.CausalLm;
import io.fedpipe.model.HfWeightNames;
import io.fedpipe.model.PretrainedModels;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.quant.BaseQuantization;
import io.fedpipe.round.Emulation;
import io.fedpipe.round.GlobalModel;
import io.fedpipe.round.NodeRoundPlan;
import io.fedpipe.round.RoundEngine;
import io.fedpipe.runtime.OneIntraOpThread;
import io.fedpipe.simulation.InProcessSimulator;
import io.fedpipe.simulation.RoundReport;
import io.fedpipe.simulation.RoundScores;
import io.fedpipe.tokenize.TextTokenizer;
import io.fedpipe.train.CausalLmFineTuning;
import io.fedpipe.train.FineTuneExport;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Federated causal-LM rounds on quantized bases, the failure other federated LLM frameworks show:
 * aggregating into a 4-bit base breaks the next round with shape errors. Here nodes exchange only
 * adapters; a node on NF4 and one on INT8 train three rounds of the built-in decoder on E2E pairs
 * with different ranks, every round succeeds, the loss falls, the host base is bit for bit what was
 * loaded, and the global adapters merge into the unquantized base with the model's own shapes and
 * the adapters' outputs (within 1e-4).
 */
@ExtendWith(OneIntraOpThread.class)
class QuantizedBaseRoundsTest {

    private static final long SEED = 11;
    private static final Set<LoraTarget> TARGETS = EnumSet.of(LoraTarget.Q, LoraTarget.V, LoraTarget.GATE);

    @Test
    void nodesOnNf4AndInt8BasesExchangeAdaptersOnlyAndTheMergedModelMatches() throws Exception {
        TransformerWeights weights = PretrainedModels.load(PretrainedModels.FEDPIPE_LM_SMALL);
        float[] before = weights.blocks().get(0).linear(LoraTarget.Q).weight().data().clone();
        DecoderBase base = DecoderBase.load(PretrainedModels.FEDPIPE_LM_SMALL, weights);
        List<GenerationExample> pool = GenerationTasks.e2e(SEED).train().subList(0, 80);
        try (TextTokenizer tokenizer = base.openTokenizer(); NDManager manager = NDManager.newBaseManager()) {
            AdaptedDecoders models = new AdaptedDecoders(weights, tokenizer, base.eosId(), 16f, SEED);
            var shapes = models.shapes(TARGETS);
            CausalLmShard a = CausalLmShard.of("a", pool.subList(0, 40), tokenizer, base.eosId(), 96, SEED);
            CausalLmShard b = CausalLmShard.of("b", pool.subList(40, 80), tokenizer, base.eosId(), 96, SEED);
            assertEquals(36, a.size());
            assertEquals(4, a.validation().size());
            List<InProcessSimulator.SimNode<CausalLmShard>> nodes = List.of(
                    new InProcessSimulator.SimNode<>("a", a, Emulation.NONE),
                    new InProcessSimulator.SimNode<>("b", b, Emulation.NONE));
            List<CausalLmFineTuning.Encoded> held = new ArrayList<>(a.validation());
            held.addAll(b.validation());
            InProcessSimulator<CausalLmShard> sim = new InProcessSimulator<>(
                    new RoundEngine(StrategyKind.FEDPIPE.create(), 16f, shapes),
                    new CausalLmLocalRound(models, manager, 3e-3f, 1), new InProcessSimulator.GlobalScoring() {
                        @Override
                        public Map<String, HostTensor> initialDense() {
                            return Map.of();
                        }

                        @Override
                        public RoundScores score(NDManager m, GlobalModel g, int round) {
                            return new RoundScores(Double.NaN, Double.NaN,
                                    Map.of(RoundScores.VALIDATION_LOSS, models.evaluate(m, g, held)));
                        }
                    }, nodes);
            Map<MatrixId, Integer> r4 = new TreeMap<>();
            Map<MatrixId, Integer> r8 = new TreeMap<>();
            shapes.keySet().forEach(id -> {
                r4.put(id, 4);
                r8.put(id, 8);
            });
            List<RoundReport> reports = sim.run(3, List.of(new NodeRoundPlan("a", r4, 6, 4, "nf4"),
                    new NodeRoundPlan("b", r8, 6, 4, "int8")), manager);
            for (RoundReport r : reports.subList(1, reports.size())) {
                assertTrue(r.failures().isEmpty(), "round " + r.round() + ": " + r.failures());
                assertTrue(r.rejected().isEmpty(), "round " + r.round() + ": " + r.rejected());
                r.nodes().values().forEach(n -> assertTrue(n.validation().examples() == 4
                        && Double.isFinite(n.validation().loss()), n.toString()));
            }
            double start = reports.get(0).metric(RoundScores.VALIDATION_LOSS);
            double end = reports.get(3).metric(RoundScores.VALIDATION_LOSS);
            System.out.printf("quantized-base rounds: held-out loss %.4f -> %.4f; node a round-1 first loss %.4f,"
                    + " round-3 last %.4f%n", start, end, reports.get(1).nodes().get("a").lastLoss(),
                    reports.get(3).nodes().get("a").lastLoss());
            assertTrue(end < start - 0.3, "held-out loss " + start + " -> " + end);
            // The host base the nodes quantize from each round was never written to.
            assertArrayEquals(before, weights.blocks().get(0).linear(LoraTarget.Q).weight().data());

            // Merge into the unquantized base: same tensor names and shapes; same outputs as base + adapters.
            GlobalModel global = sim.global();
            Map<MatrixId, Integer> ranks = new TreeMap<>();
            global.adapters().forEach((id, ad) -> ranks.put(id, ad.rank()));
            LoraConfig lora = new LoraConfig(ranks, 16f, 0f);
            Map<MatrixId, PeftAdapters.Adapter> adapters = new TreeMap<>();
            for (Map.Entry<MatrixId, ScaledAdapter> e : global.adapters().entrySet()) {
                adapters.put(e.getKey(), e.getValue().withScale(lora.scale(e.getKey())).adapter());
            }
            TransformerWeights merged = FineTuneExport.merge(weights, adapters, lora);
            Map<String, HostTensor> hfBase = HfWeightNames.toHf(weights);
            Map<String, HostTensor> hfMerged = HfWeightNames.toHf(merged);
            assertEquals(hfBase.keySet(), hfMerged.keySet());
            hfBase.forEach((name, t) -> assertArrayEquals(t.shape(), hfMerged.get(name).shape(), name));
            double adapted = models.evaluate(manager, global, held);
            double mergedLoss;
            try (NDManager scope = manager.newSubManager();
                    TransformerModel m = TransformerModel.create(scope, merged, null, BaseQuantization.factory("fp32"), 0)) {
                mergedLoss = CausalLmFineTuning.loss(scope, new CausalLm(m), held, base.eosId(), 32);
            }
            assertEquals(adapted, mergedLoss, 1e-4);
            assertEquals(end, adapted, 1e-9);
        }
    }
}
