package io.fedpipe.model.onnx;

/**
 * The hyper-parameters of a BERT encoder, named as in Hugging Face's {@code BertConfig}
 * ({@code vocab_size}, {@code hidden_size}, {@code num_hidden_layers},
 * {@code num_attention_heads}, {@code intermediate_size}, {@code max_position_embeddings},
 * {@code type_vocab_size}, {@code layer_norm_eps}).
 *
 * <p>For all-MiniLM-L6-v2: 30522, 384, 6, 12, 1536, 512, 2, 1e-12.
 */
public record BertConfig(int vocabSize, int hidden, int layers, int heads, int intermediate,
                         int maxPositions, int typeVocab, double layerNormEps) {

    public BertConfig {
        requirePositive("vocabSize", vocabSize);
        requirePositive("hidden", hidden);
        requirePositive("layers", layers);
        requirePositive("heads", heads);
        requirePositive("intermediate", intermediate);
        requirePositive("maxPositions", maxPositions);
        requirePositive("typeVocab", typeVocab);
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden " + hidden + " is not divisible by heads " + heads);
        }
        if (!(layerNormEps > 0 && layerNormEps < 1)) {
            throw new IllegalArgumentException("layerNormEps must be in (0, 1), got " + layerNormEps);
        }
    }

    /** Width of one attention head: {@code hidden / heads}. */
    public int headDim() {
        return hidden / heads;
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
