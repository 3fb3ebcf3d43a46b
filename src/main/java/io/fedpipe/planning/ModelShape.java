package io.fedpipe.planning;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import java.util.ArrayList;
import java.util.Collection;
import io.fedpipe.core.TransformerConfig;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sizes of a transformer that planning needs, and nothing else: no weights are loaded, so a
 * cluster can be planned "on paper" for models this machine could never hold.
 *
 * @param name          preset or source name, for reports
 * @param layers        transformer blocks L
 * @param hidden        model width d
 * @param intermediate  FFN inner width f
 * @param heads         attention heads h
 * @param kvHeads       key/value heads (grouped-query attention, Ainslie et al. 2023); {@code heads} without GQA
 * @param vocab         token embedding rows V
 * @param positions     learned position-embedding rows (0 for rotary models such as LLaMA)
 * @param ffnMatrices   2 for a plain FFN (in, out), 3 for a gated one (gate, up, down: LLaMA)
 * @param causalLm      whether training runs the LM head over every token (decoders)
 * @param tiedHead      whether the LM head reuses the token embeddings (GPT-2) or is its own matrix (LLaMA)
 */
public record ModelShape(String name, int layers, int hidden, int intermediate, int heads, int kvHeads, int vocab,
                         int positions, int ffnMatrices, boolean causalLm, boolean tiedHead) {

    private static final Map<String, ModelShape> PRESETS = presets();

    public ModelShape {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("model name is missing");
        }
        positive("layers", layers);
        positive("hidden", hidden);
        positive("intermediate", intermediate);
        positive("heads", heads);
        positive("kvHeads", kvHeads);
        if (hidden % heads != 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("hidden " + hidden + ", heads " + heads + " and kv heads " + kvHeads
                    + " must divide: d by h, h by kv heads");
        }
        positive("vocab", vocab);
        if (positions < 0) {
            throw new IllegalArgumentException("positions must be >= 0: " + positions);
        }
        if (ffnMatrices != 2 && ffnMatrices != 3) {
            throw new IllegalArgumentException("ffn matrices must be 2 (plain) or 3 (gated): " + ffnMatrices);
        }
    }

    /** A shape without grouped-query attention ({@code kvHeads = heads}). */
    public ModelShape(String name, int layers, int hidden, int intermediate, int heads, int vocab, int positions,
                      int ffnMatrices, boolean causalLm, boolean tiedHead) {
        this(name, layers, hidden, intermediate, heads, heads, vocab, positions, ffnMatrices, causalLm, tiedHead);
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be positive: " + value);
        }
    }

    /**
     * The shape of a model FedPipe can load (BERT, GPT-2, Llama families), grouped-query
     * attention's narrower k/v projections included.
     */
    public static ModelShape of(String name, TransformerConfig c) {
        boolean llama = c.family() == TransformerConfig.Family.LLAMA;
        return new ModelShape(name, c.layers(), c.hidden(), c.intermediate(), c.heads(), c.kvHeads(), c.vocabSize(),
                llama ? 0 : c.maxPositions() + c.typeVocabSize(), llama ? 3 : 2, c.causal(), c.tiedEmbeddings());
    }

    /** A built-in shape by name: {@code minilm-l6, gpt2-small, gpt2-medium, llama-2-7b}. */
    public static ModelShape preset(String name) {
        ModelShape shape = PRESETS.get(name.strip().toLowerCase(Locale.ROOT));
        if (shape == null) {
            throw new IllegalArgumentException("unknown model preset '" + name + "'; valid: " + String.join(", ", presetNames()));
        }
        return shape;
    }

    public static List<String> presetNames() {
        return List.copyOf(PRESETS.keySet());
    }

    private static Map<String, ModelShape> presets() {
        Map<String, ModelShape> m = new TreeMap<>();
        m.put("minilm-l6", of("minilm-l6", TransformerConfig.miniLmL6()));
        m.put("gpt2-small", of("gpt2-small", TransformerConfig.gpt2Small()));
        // GPT-2 medium (Radford et al. 2019, Table 2; HF gpt2-medium config.json): 345M parameters.
        m.put("gpt2-medium", new ModelShape("gpt2-medium", 24, 1024, 4096, 16, 50257, 1024, 2, true, true));
        // LLaMA-2-7B (Touvron et al. 2023; HF meta-llama/Llama-2-7b-hf config.json): gated SiLU FFN,
        // RMSNorm, rotary positions, no biases, untied LM head.
        m.put("llama-2-7b", new ModelShape("llama-2-7b", 32, 4096, 11008, 32, 32000, 0, 3, true, false));
        return m;
    }

    /** Width of the key and value projections: {@code kvHeads · d / h} (d without GQA). */
    public int kvWidth() {
        return hidden / heads * kvHeads;
    }

    /** Input and output width of an adaptable matrix ({@code FFN_IN} is the up projection when gated). */
    public int inFeatures(LoraTarget target) {
        return target == LoraTarget.FFN_OUT ? intermediate : hidden;
    }

    public int outFeatures(LoraTarget target) {
        return switch (target) {
            case FFN_IN, GATE -> intermediate;
            case K, V -> kvWidth();
            default -> hidden;
        };
    }

    /** Parameters of the block linears (q, k, v, o and the FFN matrices): the part that gets quantized. */
    public long linearParameters() {
        long d = hidden;
        return layers * (2 * d * d + 2 * d * kvWidth() + (long) ffnMatrices * d * intermediate);
    }

    /**
     * Everything else, kept in a float format: token and position embeddings, an untied LM head,
     * norms and biases (biases counted only for the families that have them: a plain FFN).
     */
    public long otherParameters() {
        long d = hidden;
        long embeddings = (long) vocab * d + (long) positions * d;
        long head = tiedHead ? 0 : (long) vocab * d;
        // Plain-FFN families (BERT, GPT-2) use LayerNorm with a bias and biased linears; LLaMA uses
        // RMSNorm (a scale only) and no biases.
        boolean biased = ffnMatrices == 2;
        long norms = (layers * 2L + 1) * d * (biased ? 2 : 1);
        long biases = biased ? layers * (4 * d + intermediate + d) : 0;
        return embeddings + head + norms + biases;
    }

    public long parameters() {
        return linearParameters() + otherParameters();
    }

    /** Every matrix of {@code targets} in every layer: the candidates when there is no importance stage. */
    public List<MatrixId> allMatrices(Collection<LoraTarget> targets) {
        List<MatrixId> out = new ArrayList<>();
        for (int layer = 0; layer < layers; layer++) {
            for (LoraTarget t : targets) {
                out.add(new MatrixId(layer, t));
            }
        }
        return out;
    }
}
