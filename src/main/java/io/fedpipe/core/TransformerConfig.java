package io.fedpipe.core;

/**
 * Shape and semantics of a transformer, in Hugging Face terms, for the two families
 * FedPipe runs: a BERT-style encoder (post-LN, erf GELU, padding mask) and a GPT-2-style
 * decoder (pre-LN, tanh GELU, causal mask, LM head tied to the token embeddings).
 *
 * @param family          which block layout and attention mask
 * @param vocabSize       token embedding rows
 * @param hidden          model width d
 * @param layers          transformer blocks
 * @param heads           attention heads; {@code hidden % heads == 0}
 * @param intermediate    FFN inner width
 * @param maxPositions    learned position embeddings
 * @param typeVocabSize   BERT token-type embeddings (0 for GPT-2)
 * @param layerNormEps    epsilon of every LayerNorm
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
        double layerNormEps) {

    /** The two architectures, which differ in norm placement, activation and masking. */
    public enum Family {
        BERT,
        GPT2
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
