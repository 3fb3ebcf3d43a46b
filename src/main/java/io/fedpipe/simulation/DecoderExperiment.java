package io.fedpipe.simulation;

import ai.djl.ndarray.NDManager;
import io.fedpipe.aggregation.MatrixShape;
import io.fedpipe.core.HostTensor;
import io.fedpipe.core.MatrixId;
import io.fedpipe.data.GenerationExample;
import io.fedpipe.data.GenerationPartitions;
import io.fedpipe.data.GenerationTask;
import io.fedpipe.data.GenerationTasks;
import io.fedpipe.eval.GenerationMetrics;
import io.fedpipe.eval.GenerationScores;
import io.fedpipe.generate.DecodingSettings;
import io.fedpipe.job.JobSpec;
import io.fedpipe.local.AdaptedDecoders;
import io.fedpipe.local.CausalLmImportance;
import io.fedpipe.local.CausalLmLocalRound;
import io.fedpipe.local.CausalLmShard;
import io.fedpipe.local.DecoderBase;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.round.GlobalModel;
import io.fedpipe.round.RoundEngine;
import io.fedpipe.round.RoundLoop;
import io.fedpipe.tokenize.TextTokenizer;
import io.fedpipe.train.CausalLmFineTuning;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * An {@link Experiment} whose model is a decoder: a causal-LM job through the same round loop as
 * the classifier's ({@link InProcessSimulator}, {@link SimulatedJob}, the planner and the probe).
 * The task's training pool is split over the nodes ({@link GenerationPartitions}: iid, Dirichlet
 * on an MR attribute, or whole attribute values per node); each node tokenizes its share once and
 * holds out a tenth for its own validation ({@link CausalLmShard}).
 *
 * <p>After every round the global model (adapters merged into the unquantized base) is scored on
 * the task's validation pairs (loss, perplexity) and on the first {@code round-prompts} test prompts
 * decoded greedily (BLEU, NIST, METEOR, ROUGE-L, CIDEr: a learning curve, not the final figure). At
 * the end the job's {@code test-prompts} are decoded with its final settings, by the base model
 * and by the fine-tuned one.
 */
final class DecoderExperiment {

    /** Example generations kept for the report. */
    static final int EXAMPLES = 5;

    private DecoderExperiment() {}

    static ExperimentRunner.Result run(Experiment experiment, TransformerWeights weights, NDManager manager,
            Consumer<RoundReport> progress) throws IOException {
        JobSpec spec = experiment.job();
        if (spec.strategyKind().fullWeights()) {
            throw new IllegalArgumentException("strategy " + spec.strategy() + " (full fine-tuning) is not available for"
                    + " decoders yet; use a LoRA strategy");
        }
        DecoderBase base = DecoderBase.load(spec.model(), weights);
        GenerationTask task = GenerationTasks.load(spec.task(), spec.seed());
        List<GenerationExample> pool = spec.limitTrain() > 0
                ? task.train().subList(0, Math.min(spec.limitTrain(), task.train().size())) : task.train();
        List<GenerationExample> heldOut = spec.limitValidation() > 0
                ? task.validation().subList(0, Math.min(spec.limitValidation(), task.validation().size()))
                : task.validation();
        List<SimulatedNode> specNodes = experiment.nodes();
        List<int[]> parts = GenerationPartitions.partition(pool, spec.partitionKind(), spec.data().partitioner(),
                spec.data().by(), specNodes.size(), spec.seed());
        int maxLength = Math.min(spec.maxLength(), weights.config().maxPositions());
        try (TextTokenizer tokenizer = base.openTokenizer()) {
            List<InProcessSimulator.SimNode<CausalLmShard>> nodes = new ArrayList<>();
            List<Integer> sizes = new ArrayList<>();
            for (int i = 0; i < specNodes.size(); i++) {
                SimulatedNode n = specNodes.get(i);
                List<GenerationExample> mine = new ArrayList<>();
                for (int index : parts.get(i)) {
                    mine.add(pool.get(index));
                }
                CausalLmShard shard = CausalLmShard.of(n.name(), mine, tokenizer, base.eosId(), maxLength, spec.seed());
                nodes.add(new InProcessSimulator.SimNode<>(n.name(), shard, n.emulation()));
                sizes.add(shard.size());
            }
            List<CausalLmFineTuning.Encoded> validation = new ArrayList<>();
            CausalLmFineTuning.encodeAll(tokenizer, heldOut, base.eosId(), maxLength, validation);
            AdaptedDecoders models = new AdaptedDecoders(weights, tokenizer, base.eosId(), spec.alpha(), spec.seed());
            Map<MatrixId, MatrixShape> shapes = models.shapes(spec.loraTargets());
            RoundEngine engine = new RoundEngine(spec.strategyKind().create(), spec.alpha(), shapes);
            CausalLmLocalRound local = new CausalLmLocalRound(models, manager, spec.lr(), spec.warmup());
            InProcessSimulator<CausalLmShard> simulator = new InProcessSimulator<>(engine, local,
                    scoring(models, validation, task, spec.generation()), nodes);
            List<ExperimentRunner.PlanRecord> planRecords = new ArrayList<>();
            JobSpec.ImportanceStage importance = spec.importance();
            SimulatedJob.Planning planning = ExperimentRunner.planning(experiment, weights, sizes, shapes, planRecords,
                    (id, bits, batch, seed) -> CausalLmImportance.probe(models, manager, id,
                            ExperimentRunner.dataOf(nodes, id), shapes.keySet(), bits, importance.probeRank(),
                            importance.probeSteps(), batch, spec.lr(), seed));
            int refreshEvery = importance == null ? 0 : importance.refreshEvery();
            List<RoundReport> reports = simulator.run(RoundLoop.Policy.of(spec.rounds(), refreshEvery),
                    spec.maxSeconds(), planning, manager, progress);
            ExperimentRunner.GenerationOutcome outcome = finalDecoding(models, manager, simulator.global(), task,
                    spec.generation());
            return new ExperimentRunner.Result(reports, sizes, validation.size(), 0, planRecords, outcome);
        }
    }

    /** Validation loss and perplexity of the merged global; greedy generation metrics on the round's prompts. */
    static InProcessSimulator.GlobalScoring scoring(AdaptedDecoders models, List<CausalLmFineTuning.Encoded> validation,
            GenerationTask task, JobSpec.Generation generation) {
        return new InProcessSimulator.GlobalScoring() {
            @Override
            public Map<String, HostTensor> initialDense() {
                return Map.of();
            }

            @Override
            public RoundScores score(NDManager manager, GlobalModel global, int round) {
                Map<String, Double> m = new HashMap<>();
                double loss = models.evaluate(manager, global, validation);
                m.put(RoundScores.VALIDATION_LOSS, loss);
                m.put(RoundScores.PERPLEXITY, Math.exp(loss));
                if (generation.roundPrompts() > 0 && !task.test().isEmpty()) {
                    GenerationScores g = models.score(manager, global, task, generation.roundPrompts(),
                            DecodingSettings.greedy(generation.maxNewTokens(), models.eosId()));
                    putScores(m, g);
                }
                return new RoundScores(Double.NaN, Double.NaN, m);
            }
        };
    }

    static void putScores(Map<String, Double> m, GenerationScores g) {
        m.put(RoundScores.BLEU, g.bleu());
        m.put(RoundScores.NIST, g.nist());
        m.put(RoundScores.METEOR, g.meteor());
        m.put(RoundScores.ROUGE_L, g.rougeL());
        m.put(RoundScores.CIDER, g.cider());
    }

    /** The job's final decoding settings. */
    static DecodingSettings finalSettings(JobSpec.Generation g, long eosId) {
        return new DecodingSettings(g.maxNewTokens(), g.beams(), g.lengthPenalty(), g.noRepeatNgram(), eosId);
    }

    /** The test prompts decoded by the base (no adapters) and by the merged global model, and scored. */
    static ExperimentRunner.GenerationOutcome finalDecoding(AdaptedDecoders models, NDManager manager, GlobalModel global,
            GenerationTask task, JobSpec.Generation generation) {
        if (task.test().isEmpty()) {
            return null;
        }
        int n = generation.testPrompts() <= 0 ? task.test().size() : Math.min(generation.testPrompts(),
                task.test().size());
        List<GenerationTask.TestPrompt> tests = task.test().subList(0, n);
        List<String> prompts = tests.stream().map(GenerationTask.TestPrompt::prompt).toList();
        List<List<String>> refs = tests.stream().map(GenerationTask.TestPrompt::references).toList();
        DecodingSettings settings = finalSettings(generation, models.eosId());
        long t0 = System.nanoTime();
        List<String> tuned = models.decode(manager, global, prompts, settings);
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<String> before = models.decode(manager, GlobalModel.initial(Map.of()), prompts, settings);
        List<ExperimentRunner.Example> examples = new ArrayList<>();
        for (int i = 0; i < Math.min(EXAMPLES, n); i++) {
            examples.add(new ExperimentRunner.Example(prompts.get(i).strip(), before.get(i), tuned.get(i),
                    refs.get(i).get(0)));
        }
        return new ExperimentRunner.GenerationOutcome(n, GenerationMetrics.score(before, refs),
                GenerationMetrics.score(tuned, refs), examples, seconds);
    }
}
