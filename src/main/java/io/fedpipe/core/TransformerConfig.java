package io.fedpipe.core;

/**
 * Shape and semantics of a transformer, in Hugging Face terms, for the three families
 * FedPipe runs: a BERT-style encoder (post-LN, erf GELU, padding mask), a GPT-2-style
 * decoder (pre-LN, tanh GELU, learned positions, causal mask, LM head tied to the token
 * embeddings) and a Llama-style decoder (pre-RMSNorm, rotary positions, grouped-query
 * attention, SwiGLU MLP, LM head tied or not). The formulas are in docs/model-formulas.md.
 *
 * @param family          which block layout and attention mask
 * @param vocabSize       token embedding rows
 * @param hidden          model width d
 * @param layers          transformer blocks
 * @param heads           attention heads; {@code hidden % heads == 0}
 * @param intermediate    FFN inner width
 * @param maxPositions    learned position embeddings
 * @param typeVocabSize   BERT token-type embeddings (0 for GPT-2)
 * @param layerNormEps    epsilon of every LayerNorm (Llama: of every RMSNorm, {@code rms_norm_eps})
 * @param kvHeads         key/value heads ({@code num_key_value_heads}); {@code heads % kvHeads == 0};
 *                        equal to {@code heads} except for grouped-query attention (Llama only)
 * @param ropeTheta       rotary base θ (Llama only; ignored otherwise)
 * @param ropeScaling     rotary scaling, or null for none (Llama only)
 * @param tiedEmbeddings  whether the LM head reuses the token embeddings (always true for GPT-2)
 * @param attentionBias   whether q/k/v/o carry biases (Llama's {@code attention_bias}; Qwen2 has q/k/v
 *                        biases only, see {@link #outputBias}); BERT and GPT-2 always have biases
 */
public record TransformerConfig(
        Family family,
        int vocabSize,
        int hidden,
        int layers,
        int heads,
        int intermediate,
        int maxPositions,
        int typeVocabSize,
        double layerNormEps,
        int kvHeads,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tiedEmbeddings,
        boolean attentionBias,
        boolean outputBias) {

    /** The architectures, which differ in norm placement, activation, positions and masking. */
    public enum Family {
        BERT,
        GPT2,
        LLAMA
    }

    /** A BERT or GPT-2 config: every head has its own keys and values, biases everywhere, head tied. */
    public TransformerConfig(Family family, int vocabSize, int hidden, int layers, int heads, int intermediate,
            int maxPositions, int typeVocabSize, double layerNormEps) {
        this(family, vocabSize, hidden, layers, heads, intermediate, maxPositions, typeVocabSize, layerNormEps,
                heads, 10000, null, true, family != Family.LLAMA, family != Family.LLAMA);
    }

    /** A Llama-family config. */
    public static TransformerConfig llama(int vocabSize, int hidden, int layers, int heads, int kvHeads,
            int intermediate, int maxPositions, double rmsNormEps, double ropeTheta, RopeScaling ropeScaling,
            boolean tiedEmbeddings, boolean qkvBias) {
        return new TransformerConfig(Family.LLAMA, vocabSize, hidden, layers, heads, intermediate, maxPositions, 0,
                rmsNormEps, kvHeads, ropeTheta, ropeScaling, tiedEmbeddings, qkvBias, false);
    }

    public TransformerConfig {
        if (family == null) {
            throw new IllegalArgumentException("model family is missing");
        }
        positive("vocab_size", vocabSize);
        positive("hidden_size", hidden);
        positive("num_hidden_layers", layers);
        positive("num_attention_heads", heads);
        positive("intermediate_size", intermediate);
        positive("max_position_embeddings", maxPositions);
        if (hidden % heads != 0) {
            throw new IllegalArgumentException(
                    "hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
        }
        if (typeVocabSize < 0 || (family == Family.BERT && typeVocabSize == 0)) {
            throw new IllegalArgumentException("type_vocab_size must be > 0 for BERT and >= 0 otherwise: " + typeVocabSize);
        }
        if (!(layerNormEps > 0 && layerNormEps < 1)) {
            throw new IllegalArgumentException("layer_norm_eps must be in (0, 1): " + layerNormEps);
        }
        positive("num_key_value_heads", kvHeads);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (family != Family.LLAMA && (kvHeads != heads || !tiedEmbeddings || !attentionBias || ropeScaling != null)) {
            throw new IllegalArgumentException(family + " has one key/value head per head, biases and a tied head");
        }
        if (family == Family.LLAMA && (((hidden / heads) & 1) != 0 || !(ropeTheta > 1))) {
            throw new IllegalArgumentException("rotary embeddings need an even head dimension and rope_theta > 1: "
                    + hidden / heads + ", " + ropeTheta);
        }
        if (typeVocabSize != 0 && family != Family.BERT) {
            throw new IllegalArgumentException("only BERT has token-type embeddings");
        }
    }

    /** Whether the family is a decoder trained as a causal LM. */
    public boolean causal() {
        return family != Family.BERT;
    }

    /** Width of the key and value projections: {@code kvHeads · headDim}. */
    public int kvWidth() {
        return kvHeads * headDim();
    }

    /** The block matrices this family has (Llama adds the MLP's gate). */
    public java.util.Set<LoraTarget> targets() {
        return family == Family.LLAMA ? java.util.EnumSet.allOf(LoraTarget.class)
                : java.util.EnumSet.complementOf(java.util.EnumSet.of(LoraTarget.GATE));
    }

    /**
     * LoRA targets from a comma-separated list of FedPipe names ({@code q, k, v, o, gate, ffn_in,
     * ffn_out}) or this family's Hugging Face module names: Llama's {@code q_proj … down_proj}, and
     * GPT-2's {@code c_attn} (= q, k, v, each with its own adapter), {@code attn.c_proj} (o),
     * {@code c_fc} (ffn_in), {@code mlp.c_proj} (ffn_out) and plain {@code c_proj} (both, as PEFT
     * matches it). A matrix the family does not have is refused.
     */
    public java.util.Set<LoraTarget> parseTargets(String csv) {
        java.util.EnumSet<LoraTarget> out = java.util.EnumSet.noneOf(LoraTarget.class);
        for (String part : csv.split(",")) {
            String k = part.strip().toLowerCase(java.util.Locale.ROOT);
            if (k.isEmpty()) {
                continue;
            }
            if (family == Family.GPT2) {
                switch (k) {
                    case "c_attn", "attn.c_attn" -> {
                        out.addAll(java.util.EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V));
                        continue;
                    }
                    case "attn.c_proj" -> {
                        out.add(LoraTarget.O);
                        continue;
                    }
                    case "c_fc", "mlp.c_fc" -> {
                        out.add(LoraTarget.FFN_IN);
                        continue;
                    }
                    case "mlp.c_proj" -> {
                        out.add(LoraTarget.FFN_OUT);
                        continue;
                    }
                    case "c_proj" -> {
                        out.addAll(java.util.EnumSet.of(LoraTarget.O, LoraTarget.FFN_OUT));
                        continue;
                    }
                    default -> { }
                }
            }
            LoraTarget t = LoraTarget.parse(k);
            if (!targets().contains(t)) {
                throw new IllegalArgumentException(family + " has no '" + part.strip() + "' matrix; it has "
                        + targets().stream().map(LoraTarget::key).toList());
            }
            out.add(t);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no LoRA targets given in '" + csv + "'");
        }
        return out;
    }

    /** {@code [out, in]} of a block matrix. */
    public int[] linearShape(LoraTarget t) {
        return switch (t) {
            case Q, O -> new int[] {hidden, hidden};
            case K, V -> new int[] {kvWidth(), hidden};
            case GATE, FFN_IN -> new int[] {intermediate, hidden};
            case FFN_OUT -> new int[] {hidden, intermediate};
        };
    }

    /** Whether the block matrix {@code t} has a bias. */
    public boolean hasBias(LoraTarget t) {
        if (family != Family.LLAMA) {
            return true;
        }
        return switch (t) {
            case Q, K, V -> attentionBias;
            case O -> outputBias;
            default -> false;
        };
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be positive: " + value);
        }
    }

    public int headDim() {
        return hidden / heads;
    }

    /** all-MiniLM-L6-v2 (sentence-transformers), the real pre-trained encoder FedPipe ships with. */
    public static TransformerConfig miniLmL6() {
        return new TransformerConfig(Family.BERT, 30522, 384, 6, 12, 1536, 512, 2, 1e-12);
    }

    /** GPT-2 small's layout (124M parameters). */
    public static TransformerConfig gpt2Small() {
        return new TransformerConfig(Family.GPT2, 50257, 768, 12, 12, 3072, 1024, 0, 1e-5);
    }
}
