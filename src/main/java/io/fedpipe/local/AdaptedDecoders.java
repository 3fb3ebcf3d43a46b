package io.fedpipe.local;

import ai.djl.ndarray.NDManager;
import io.fedpipe.aggregation.MatrixShape;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.core.TransformerConfig;
import io.fedpipe.data.GenerationTask;
import io.fedpipe.eval.GenerationMetrics;
import io.fedpipe.eval.GenerationScores;
import io.fedpipe.generate.DecodingSettings;
import io.fedpipe.generate.Generator;
import io.fedpipe.lora.LoraConfig;
import io.fedpipe.lora.LoraLinear;
import io.fedpipe.model.CausalLm;
import io.fedpipe.model.LinearWeights;
import io.fedpipe.model.TransformerModel;
import io.fedpipe.model.TransformerWeights;
import io.fedpipe.quant.BaseQuantization;
import io.fedpipe.round.GlobalModel;
import io.fedpipe.tokenize.TextTokenizer;
import io.fedpipe.train.CausalLmFineTuning;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds decoder language models of one base (GPT-2 or Llama family) with given adapters, for
 * the nodes' local rounds, their probes, and for scoring the global model. Holds the base weights
 * once on the host; each model put on the device is a fresh copy the caller closes.
 *
 * <p>A causal-LM job has no head to average: the (tied or untied) LM head stays frozen with the
 * base, so only adapters travel and the dense part of every update is empty. Aggregated state is
 * never folded into a quantized base: a node builds its quantized base from the host weights each
 * round and loads the global adapters beside it; merging happens only into an unquantized copy
 * ({@link #evaluate}, and the export).
 */
public final class AdaptedDecoders {

    private final TransformerWeights weights;
    private final TextTokenizer tokenizer;
    private final long eosId;
    private final float alpha;
    private final long seed;

    /**
     * @param weights   the frozen base (a decoder)
     * @param tokenizer its tokenizer; the caller keeps ownership
     * @param eosId     the end-of-sequence id appended to every completion
     * @param alpha     the LoRA α shared by all nodes
     * @param seed      seeds fresh adapters, the same on every node
     */
    public AdaptedDecoders(TransformerWeights weights, TextTokenizer tokenizer, long eosId, float alpha, long seed) {
        if (!weights.config().causal()) {
            throw new IllegalArgumentException("causal-LM rounds need a decoder (GPT-2 or Llama family), got "
                    + weights.config().family());
        }
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.eosId = eosId;
        this.alpha = alpha;
        this.seed = seed;
    }

    public TransformerWeights base() {
        return weights;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    public long eosId() {
        return eosId;
    }

    public float alpha() {
        return alpha;
    }

    public long seed() {
        return seed;
    }

    /** {@code [out, in]} of the given targets in every layer; a target the family lacks is refused. */
    public Map<MatrixId, MatrixShape> shapes(Set<LoraTarget> targets) {
        TransformerConfig config = weights.config();
        Map<MatrixId, MatrixShape> out = new TreeMap<>();
        for (LoraTarget t : targets) {
            if (!config.targets().contains(t)) {
                throw new IllegalArgumentException(config.family() + " has no '" + t.key() + "' matrix to adapt;"
                        + " its targets are " + config.targets().stream().map(LoraTarget::key).toList());
            }
        }
        for (int layer = 0; layer < weights.blocks().size(); layer++) {
            for (LoraTarget t : targets) {
                LinearWeights w = weights.blocks().get(layer).linear(t);
                out.put(new MatrixId(layer, t), new MatrixShape(w.out(), w.in()));
            }
        }
        return out;
    }

    /**
     * A decoder with adapters of {@code ranks} (scale α/r), its base stored as {@code bits} and the
     * given starting adapters loaded (others keep the fresh init, B = 0). Empty {@code ranks}: the
     * plain base.
     */
    public TransformerModel build(NDManager parent, Map<MatrixId, Integer> ranks, String bits,
            Map<MatrixId, ScaledAdapter> adapters) {
        LoraConfig lora = ranks.isEmpty() ? null : new LoraConfig(ranks, alpha, 0f);
        TransformerModel model = TransformerModel.create(parent, weights, lora, BaseQuantization.factory(bits), seed);
        try {
            for (Map.Entry<MatrixId, ScaledAdapter> e : adapters.entrySet()) {
                LoraLinear layer = model.linear(e.getKey());
                // Re-expressed at the layer's own scale, so the layer applies exactly the update sent.
                ScaledAdapter a = e.getValue().withScale(layer.scale());
                layer.setAdapter(a.adapter().a(), a.adapter().b());
            }
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The global model on an unquantized base with its adapters merged in, as the finished model is. */
    private TransformerModel merged(NDManager scope, GlobalModel global) {
        Map<MatrixId, Integer> ranks = new TreeMap<>();
        global.adapters().forEach((id, a) -> ranks.put(id, a.rank()));
        TransformerModel model = build(scope, ranks, "fp32", global.adapters());
        model.mergeAdapters();
        return model;
    }

    /** Mean completion-token loss of the global model on {@code data} (merged, unquantized base). */
    public double evaluate(NDManager parent, GlobalModel global, List<CausalLmFineTuning.Encoded> data) {
        if (data.isEmpty()) {
            return Double.NaN;
        }
        try (NDManager scope = parent.newSubManager(); TransformerModel model = merged(scope, global)) {
            return CausalLmFineTuning.loss(scope, new CausalLm(model), data, eosId, 32);
        }
    }

    /** What the global model generates for each prompt (merged, unquantized base), in order. */
    public List<String> decode(NDManager parent, GlobalModel global, List<String> prompts, DecodingSettings decoding) {
        List<String> out = new ArrayList<>(prompts.size());
        try (NDManager scope = parent.newSubManager(); TransformerModel model = merged(scope, global)) {
            Generator generator = new Generator(new CausalLm(model));
            // Greedy decodes a batch of rows at once (left padding); beam search one prompt at a time.
            int chunk = decoding.beams() == 1 ? 32 : 1;
            for (int from = 0; from < prompts.size(); from += chunk) {
                List<long[]> ids = new ArrayList<>();
                for (String p : prompts.subList(from, Math.min(prompts.size(), from + chunk))) {
                    ids.add(tokenizer.encode(p).ids());
                }
                try (NDManager step = scope.newSubManager()) {
                    for (Generator.Output o : generator.generate(step, ids, decoding)) {
                        out.add(tokenizer.decode(o.ids(), true).strip());
                    }
                }
            }
        }
        return out;
    }

    /** Decodes the first {@code n} test prompts of {@code task} (all when n ≤ 0) and scores them against their references. */
    public GenerationScores score(NDManager parent, GlobalModel global, GenerationTask task, int n,
            DecodingSettings decoding) {
        List<GenerationTask.TestPrompt> tests = n <= 0 ? task.test() : task.test().subList(0, Math.min(n,
                task.test().size()));
        if (tests.isEmpty()) {
            throw new IllegalArgumentException("task " + task.name() + " has no test prompts to score");
        }
        List<String> predictions = decode(parent, global, tests.stream().map(GenerationTask.TestPrompt::prompt)
                .toList(), decoding);
        return GenerationMetrics.score(predictions, tests.stream().map(GenerationTask.TestPrompt::references).toList());
    }
}
