package io.fedpipe.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.TransformerConfig;

/**
 * {@link TransformerConfig} to and from a Hugging Face {@code config.json}
 * ({@code model_type} "bert" or "gpt2", with each family's own key names).
 */
public final class HfConfigs {

    private HfConfigs() {}

    public static TransformerConfig fromJson(JsonNode json, String source) {
        String type = text(json, "model_type", source);
        return switch (type) {
            case "bert" -> new TransformerConfig(TransformerConfig.Family.BERT,
                    integer(json, "vocab_size", source), integer(json, "hidden_size", source),
                    integer(json, "num_hidden_layers", source), integer(json, "num_attention_heads", source),
                    integer(json, "intermediate_size", source), integer(json, "max_position_embeddings", source),
                    json.path("type_vocab_size").asInt(2), json.path("layer_norm_eps").asDouble(1e-12));
            case "gpt2" -> {
                int hidden = integer(json, "n_embd", source);
                JsonNode inner = json.get("n_inner");
                yield new TransformerConfig(TransformerConfig.Family.GPT2,
                        integer(json, "vocab_size", source), hidden, integer(json, "n_layer", source),
                        integer(json, "n_head", source), inner == null || inner.isNull() ? 4 * hidden : inner.asInt(),
                        integer(json, "n_positions", source), 0, json.path("layer_norm_epsilon").asDouble(1e-5));
            }
            default -> throw new IllegalArgumentException(source + ": model_type '" + type
                    + "' is not supported; FedPipe runs 'bert' and 'gpt2'");
        };
    }

    public static ObjectNode toJson(TransformerConfig c) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        if (c.family() == TransformerConfig.Family.BERT) {
            o.putArray("architectures").add("BertModel");
            o.put("model_type", "bert");
            o.put("vocab_size", c.vocabSize());
            o.put("hidden_size", c.hidden());
            o.put("num_hidden_layers", c.layers());
            o.put("num_attention_heads", c.heads());
            o.put("intermediate_size", c.intermediate());
            o.put("max_position_embeddings", c.maxPositions());
            o.put("type_vocab_size", c.typeVocabSize());
            o.put("layer_norm_eps", c.layerNormEps());
            o.put("hidden_act", "gelu");
            o.put("position_embedding_type", "absolute");
        } else {
            o.putArray("architectures").add("GPT2LMHeadModel");
            o.put("model_type", "gpt2");
            o.put("vocab_size", c.vocabSize());
            o.put("n_embd", c.hidden());
            o.put("n_layer", c.layers());
            o.put("n_head", c.heads());
            o.put("n_inner", c.intermediate());
            o.put("n_positions", c.maxPositions());
            o.put("layer_norm_epsilon", c.layerNormEps());
            o.put("activation_function", "gelu_new");
            o.put("tie_word_embeddings", true);
        }
        o.put("torch_dtype", "float32");
        return o;
    }

    private static String text(JsonNode json, String key, String source) {
        JsonNode n = json.get(key);
        if (n == null || !n.isTextual()) {
            throw new IllegalArgumentException(source + ": missing or non-text '" + key + "'");
        }
        return n.asText();
    }

    private static int integer(JsonNode json, String key, String source) {
        JsonNode n = json.get(key);
        if (n == null || !n.canConvertToInt() || !n.isIntegralNumber()) {
            throw new IllegalArgumentException(source + ": missing or non-integer '" + key + "'");
        }
        return n.asInt();
    }
}
