package io.fedpipe.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.TransformerConfig;

/**
 * {@link TransformerConfig} to and from a Hugging Face {@code config.json}
 * ({@code model_type} "bert", "gpt2", "llama", "qwen2" or "mistral", with each family's own key
 * names). A Llama-family config with q/k/v biases but no o_proj bias is written as "qwen2", the
 * only type that expresses it.
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
            case "llama", "qwen2", "mistral" -> llama(json, source, type);
            default -> throw new IllegalArgumentException(source + ": model_type '" + type
                    + "' is not supported; FedPipe runs 'bert', 'gpt2' and the Llama family ('llama', 'qwen2', 'mistral')");
        };
    }

    /**
     * A Llama-family config. Qwen2 is Llama with q/k/v biases ({@code attention_bias} is implied);
     * Mistral is Llama with sliding-window attention, which FedPipe refuses when the window is
     * shorter than the context, since it would compute something else.
     */
    private static TransformerConfig llama(JsonNode json, String source, String type) {
        int hidden = integer(json, "hidden_size", source);
        int heads = integer(json, "num_attention_heads", source);
        JsonNode kv = json.get("num_key_value_heads");
        int kvHeads = kv == null || kv.isNull() ? heads : integer(json, "num_key_value_heads", source);
        JsonNode headDim = json.get("head_dim");
        if (headDim != null && !headDim.isNull() && headDim.asInt() != hidden / heads) {
            throw new IllegalArgumentException(source + ": head_dim " + headDim.asInt() + " differs from hidden_size / "
                    + "num_attention_heads = " + hidden / heads + "; FedPipe needs them equal");
        }
        String act = json.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new IllegalArgumentException(source + ": hidden_act '" + act + "' is not supported; Llama uses 'silu'");
        }
        if (json.path("mlp_bias").asBoolean(false)) {
            throw new IllegalArgumentException(source + ": mlp_bias true is not supported");
        }
        int positions = integer(json, "max_position_embeddings", source);
        JsonNode window = json.get("sliding_window");
        if (json.path("use_sliding_window").asBoolean(type.equals("mistral")) && window != null && !window.isNull()
                && window.asInt() < positions) {
            throw new IllegalArgumentException(source + ": sliding-window attention (window " + window.asInt()
                    + " < " + positions + " positions) is not supported");
        }
        boolean qwen = type.equals("qwen2");
        // Qwen2's q/k/v always carry biases (Qwen2Attention hard-codes bias=True); it has no attention_bias key.
        boolean bias = qwen || json.path("attention_bias").asBoolean(false);
        TransformerConfig c = new TransformerConfig(TransformerConfig.Family.LLAMA,
                integer(json, "vocab_size", source), hidden, integer(json, "num_hidden_layers", source), heads,
                integer(json, "intermediate_size", source), positions, 0, number(json, "rms_norm_eps", 1e-6, source),
                kvHeads, number(json, "rope_theta", 10000, source), ropeScaling(json.get("rope_scaling"), source),
                json.path("tie_word_embeddings").asBoolean(false), bias, bias && !qwen);
        return c;
    }

    private static io.fedpipe.core.RopeScaling ropeScaling(JsonNode n, String source) {
        if (n == null || n.isNull()) {
            return null;
        }
        JsonNode typeNode = n.has("rope_type") ? n.get("rope_type") : n.get("type");
        if (typeNode == null || !typeNode.isTextual()) {
            throw new IllegalArgumentException(source + ": rope_scaling has no 'rope_type'");
        }
        if (typeNode.asText().equals("default")) {
            return null;
        }
        io.fedpipe.core.RopeScaling.Type type = io.fedpipe.core.RopeScaling.Type.parse(typeNode.asText());
        double factor = number(n, "factor", Double.NaN, source);
        return type == io.fedpipe.core.RopeScaling.Type.LINEAR ? io.fedpipe.core.RopeScaling.linear(factor)
                : new io.fedpipe.core.RopeScaling(type, factor, number(n, "low_freq_factor", Double.NaN, source),
                        number(n, "high_freq_factor", Double.NaN, source),
                        integer(n, "original_max_position_embeddings", source));
    }

    private static double number(JsonNode json, String key, double fallback, String source) {
        JsonNode n = json.get(key);
        if (n == null || n.isNull()) {
            if (Double.isNaN(fallback)) {
                throw new IllegalArgumentException(source + ": missing '" + key + "'");
            }
            return fallback;
        }
        if (!n.isNumber() || !Double.isFinite(n.asDouble())) {
            throw new IllegalArgumentException(source + ": '" + key + "' is not a finite number");
        }
        return n.asDouble();
    }

    public static ObjectNode toJson(TransformerConfig c) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        if (c.family() == TransformerConfig.Family.LLAMA) {
            // q/k/v biases without an o_proj bias is Qwen2; Llama's attention_bias puts a bias on all four.
            boolean qwen = c.attentionBias() && !c.outputBias();
            if (c.outputBias() && !c.attentionBias()) {
                throw new IllegalArgumentException("an o_proj bias without q/k/v biases has no Hugging Face config");
            }
            o.putArray("architectures").add(qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
            o.put("model_type", qwen ? "qwen2" : "llama");
            o.put("vocab_size", c.vocabSize());
            o.put("hidden_size", c.hidden());
            o.put("intermediate_size", c.intermediate());
            o.put("num_hidden_layers", c.layers());
            o.put("num_attention_heads", c.heads());
            o.put("num_key_value_heads", c.kvHeads());
            o.put("max_position_embeddings", c.maxPositions());
            o.put("rms_norm_eps", c.layerNormEps());
            o.put("rope_theta", c.ropeTheta());
            if (c.ropeScaling() != null) {
                ObjectNode r = o.putObject("rope_scaling");
                r.put("rope_type", c.ropeScaling().type().key());
                r.put("factor", c.ropeScaling().factor());
                if (c.ropeScaling().type() == io.fedpipe.core.RopeScaling.Type.LLAMA3) {
                    r.put("low_freq_factor", c.ropeScaling().lowFreqFactor());
                    r.put("high_freq_factor", c.ropeScaling().highFreqFactor());
                    r.put("original_max_position_embeddings", c.ropeScaling().originalMaxPositions());
                }
            } else {
                o.putNull("rope_scaling");
            }
            if (!qwen) {
                o.put("attention_bias", c.attentionBias());
            }
            o.put("mlp_bias", false);
            o.put("hidden_act", "silu");
            o.put("tie_word_embeddings", c.tiedEmbeddings());
        } else if (c.family() == TransformerConfig.Family.BERT) {
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
