package io.fedpipe.model;

import io.fedpipe.core.TransformerConfig;
import io.fedpipe.core.HostTensor;
import io.fedpipe.core.LoraTarget;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Maps Hugging Face checkpoint names and layouts to {@link TransformerWeights} and back.
 *
 * <p>BERT ({@code BertModel}): every linear is {@code nn.Linear}, weight {@code [out, in]}.
 * GPT-2 ({@code GPT2Model}): linears are {@code Conv1D}, weight {@code [in, out]}, and the
 * attention's q, k, v are one fused {@code c_attn} of width 3d, split here so that each can
 * carry its own adapter rank. Prefixes {@code bert.} / {@code transformer.} are accepted.
 */
public final class HfWeightNames {

    private HfWeightNames() {}

    /** Reads a checkpoint's tensors; every expected tensor must be present with the right shape. */
    public static TransformerWeights fromHf(TransformerConfig config, Map<String, HostTensor> tensors) {
        return switch (config.family()) {
            case BERT -> bertFromHf(config, new Lookup(tensors, "bert."));
            case GPT2 -> gpt2FromHf(config, new Lookup(tensors, "transformer."));
            case LLAMA -> llamaFromHf(config, new Lookup(tensors, "model."));
        };
    }

    /** The weights under Hugging Face names and layouts, in checkpoint order. */
    public static Map<String, HostTensor> toHf(TransformerWeights w) {
        return switch (w.config().family()) {
            case BERT -> bertToHf(w);
            case GPT2 -> gpt2ToHf(w);
            case LLAMA -> llamaToHf(w);
        };
    }

    /** Llama's module name for a block matrix (as in {@code LlamaForCausalLM}, without {@code model.}). */
    static String llamaModule(LoraTarget t) {
        return switch (t) {
            case Q -> "self_attn.q_proj";
            case K -> "self_attn.k_proj";
            case V -> "self_attn.v_proj";
            case O -> "self_attn.o_proj";
            case GATE -> "mlp.gate_proj";
            case FFN_IN -> "mlp.up_proj";
            case FFN_OUT -> "mlp.down_proj";
        };
    }

    private static TransformerWeights llamaFromHf(TransformerConfig c, Lookup in) {
        List<BlockWeights> blocks = new ArrayList<>();
        // Shapes are checked here, where the checkpoint's own tensor name can be given.
        long h = c.hidden();
        for (int i = 0; i < c.layers(); i++) {
            String p = "layers." + i + ".";
            Map<LoraTarget, LinearWeights> l = new EnumMap<>(LoraTarget.class);
            for (LoraTarget t : c.targets()) {
                String name = p + llamaModule(t);
                int[] shape = c.linearShape(t);
                l.put(t, new LinearWeights(in.get(name + ".weight", shape[0], shape[1]),
                        c.hasBias(t) ? in.get(name + ".bias", shape[0]) : null));
            }
            blocks.add(new BlockWeights(l, in.get(p + "input_layernorm.weight", h), null,
                    in.get(p + "post_attention_layernorm.weight", h), null));
        }
        HostTensor head = c.tiedEmbeddings() ? null : in.get("lm_head.weight", c.vocabSize(), h);
        TransformerWeights w = new TransformerWeights(c, in.get("embed_tokens.weight", c.vocabSize(), h), null, null,
                null, null, blocks, in.get("norm.weight", h), null, head);
        // Old checkpoints store the rotary inverse frequencies, which the config determines; a tied
        // checkpoint may still hold a copy of the embeddings as lm_head.
        in.ignoreSuffix(".rotary_emb.inv_freq");
        if (c.tiedEmbeddings()) {
            in.ignoreUnused("lm_head.weight");
        }
        in.requireAllUsed();
        return w;
    }

    private static Map<String, HostTensor> llamaToHf(TransformerWeights w) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", w.wordEmbeddings());
        for (int i = 0; i < w.blocks().size(); i++) {
            BlockWeights b = w.blocks().get(i);
            String p = "model.layers." + i + ".";
            out.put(p + "input_layernorm.weight", b.norm1Gain());
            for (LoraTarget t : w.config().targets()) {
                putLinear(out, p + llamaModule(t), b.linear(t));
            }
            out.put(p + "post_attention_layernorm.weight", b.norm2Gain());
        }
        out.put("model.norm.weight", w.finalNormGain());
        if (w.lmHead() != null) {
            out.put("lm_head.weight", w.lmHead());
        }
        return out;
    }

    /**
     * {@code base} with some tensors replaced by Hugging Face name (e.g. the averaged weights of a
     * full fine-tuning round); the others are shared with {@code base}, not copied. A name the
     * architecture does not have, or a shape that differs from the base's, is refused.
     */
    public static TransformerWeights replace(TransformerWeights base, Map<String, HostTensor> replacements) {
        if (replacements.isEmpty()) {
            return base;
        }
        Map<String, HostTensor> tensors = toHf(base);
        for (Map.Entry<String, HostTensor> e : replacements.entrySet()) {
            HostTensor old = tensors.get(e.getKey());
            if (old == null) {
                throw new IllegalArgumentException("the model has no tensor '" + e.getKey() + "' to replace");
            }
            if (!java.util.Arrays.equals(old.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "' has shape " + e.getValue()
                        + " but the model's is " + old);
            }
            tensors.put(e.getKey(), e.getValue());
        }
        return fromHf(base.config(), tensors);
    }

    private static TransformerWeights bertFromHf(TransformerConfig c, Lookup in) {
        List<BlockWeights> blocks = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            String p = "encoder.layer." + i + ".";
            Map<LoraTarget, LinearWeights> l = new EnumMap<>(LoraTarget.class);
            l.put(LoraTarget.Q, in.linear(p + "attention.self.query"));
            l.put(LoraTarget.K, in.linear(p + "attention.self.key"));
            l.put(LoraTarget.V, in.linear(p + "attention.self.value"));
            l.put(LoraTarget.O, in.linear(p + "attention.output.dense"));
            l.put(LoraTarget.FFN_IN, in.linear(p + "intermediate.dense"));
            l.put(LoraTarget.FFN_OUT, in.linear(p + "output.dense"));
            blocks.add(new BlockWeights(l,
                    in.norm(p + "attention.output.LayerNorm", true), in.norm(p + "attention.output.LayerNorm", false),
                    in.norm(p + "output.LayerNorm", true), in.norm(p + "output.LayerNorm", false)));
        }
        TransformerWeights w = new TransformerWeights(c,
                in.get("embeddings.word_embeddings.weight"),
                in.get("embeddings.position_embeddings.weight"),
                in.get("embeddings.token_type_embeddings.weight"),
                in.norm("embeddings.LayerNorm", true),
                in.norm("embeddings.LayerNorm", false),
                blocks, null, null);
        in.ignoreUnused("pooler.", "embeddings.position_ids", "cls.");
        in.requireAllUsed();
        return w;
    }

    private static Map<String, HostTensor> bertToHf(TransformerWeights w) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        out.put("embeddings.word_embeddings.weight", w.wordEmbeddings());
        out.put("embeddings.position_embeddings.weight", w.positionEmbeddings());
        out.put("embeddings.token_type_embeddings.weight", w.typeEmbeddings());
        out.put("embeddings.LayerNorm.weight", w.embeddingNormGain());
        out.put("embeddings.LayerNorm.bias", w.embeddingNormBias());
        for (int i = 0; i < w.blocks().size(); i++) {
            BlockWeights b = w.blocks().get(i);
            String p = "encoder.layer." + i + ".";
            putLinear(out, p + "attention.self.query", b.linear(LoraTarget.Q));
            putLinear(out, p + "attention.self.key", b.linear(LoraTarget.K));
            putLinear(out, p + "attention.self.value", b.linear(LoraTarget.V));
            putLinear(out, p + "attention.output.dense", b.linear(LoraTarget.O));
            out.put(p + "attention.output.LayerNorm.weight", b.norm1Gain());
            out.put(p + "attention.output.LayerNorm.bias", b.norm1Bias());
            putLinear(out, p + "intermediate.dense", b.linear(LoraTarget.FFN_IN));
            putLinear(out, p + "output.dense", b.linear(LoraTarget.FFN_OUT));
            out.put(p + "output.LayerNorm.weight", b.norm2Gain());
            out.put(p + "output.LayerNorm.bias", b.norm2Bias());
        }
        return out;
    }

    private static TransformerWeights gpt2FromHf(TransformerConfig c, Lookup in) {
        int h = c.hidden();
        List<BlockWeights> blocks = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            String p = "h." + i + ".";
            HostTensor attnW = in.get(p + "attn.c_attn.weight");
            HostTensor attnB = in.get(p + "attn.c_attn.bias");
            if (attnW.rank() != 2 || attnW.dim(0) != h || attnW.dim(1) != 3L * h) {
                throw new IllegalArgumentException(p + "attn.c_attn.weight: shape " + attnW + ", expected [" + h + ", " + 3 * h + "]");
            }
            Map<LoraTarget, LinearWeights> l = new EnumMap<>(LoraTarget.class);
            LoraTarget[] qkv = {LoraTarget.Q, LoraTarget.K, LoraTarget.V};
            for (int j = 0; j < 3; j++) {
                l.put(qkv[j], new LinearWeights(
                        Tensors.transpose(Tensors.columns(attnW, j * h, (j + 1) * h)),
                        Tensors.slice1d(attnB, j * h, (j + 1) * h)));
            }
            l.put(LoraTarget.O, in.conv1d(p + "attn.c_proj"));
            l.put(LoraTarget.FFN_IN, in.conv1d(p + "mlp.c_fc"));
            l.put(LoraTarget.FFN_OUT, in.conv1d(p + "mlp.c_proj"));
            blocks.add(new BlockWeights(l,
                    in.norm(p + "ln_1", true), in.norm(p + "ln_1", false),
                    in.norm(p + "ln_2", true), in.norm(p + "ln_2", false)));
        }
        TransformerWeights w = new TransformerWeights(c, in.get("wte.weight"), in.get("wpe.weight"), null, null, null,
                blocks, in.norm("ln_f", true), in.norm("ln_f", false));
        // Causal-mask buffers and a tied lm_head duplicate carry no parameters of their own.
        in.ignoreUnused("lm_head.weight");
        in.ignoreSuffix(".attn.bias", ".attn.masked_bias");
        in.requireAllUsed();
        return w;
    }

    private static Map<String, HostTensor> gpt2ToHf(TransformerWeights w) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        out.put("wte.weight", w.wordEmbeddings());
        out.put("wpe.weight", w.positionEmbeddings());
        for (int i = 0; i < w.blocks().size(); i++) {
            BlockWeights b = w.blocks().get(i);
            String p = "h." + i + ".";
            out.put(p + "ln_1.weight", b.norm1Gain());
            out.put(p + "ln_1.bias", b.norm1Bias());
            HostTensor q = Tensors.transpose(b.linear(LoraTarget.Q).weight());
            HostTensor k = Tensors.transpose(b.linear(LoraTarget.K).weight());
            HostTensor v = Tensors.transpose(b.linear(LoraTarget.V).weight());
            out.put(p + "attn.c_attn.weight", Tensors.concatColumns(q, k, v));
            out.put(p + "attn.c_attn.bias", Tensors.concat1d(b.linear(LoraTarget.Q).bias(),
                    b.linear(LoraTarget.K).bias(), b.linear(LoraTarget.V).bias()));
            putConv1d(out, p + "attn.c_proj", b.linear(LoraTarget.O));
            out.put(p + "ln_2.weight", b.norm2Gain());
            out.put(p + "ln_2.bias", b.norm2Bias());
            putConv1d(out, p + "mlp.c_fc", b.linear(LoraTarget.FFN_IN));
            putConv1d(out, p + "mlp.c_proj", b.linear(LoraTarget.FFN_OUT));
        }
        out.put("ln_f.weight", w.finalNormGain());
        out.put("ln_f.bias", w.finalNormBias());
        return out;
    }

    private static void putLinear(Map<String, HostTensor> out, String prefix, LinearWeights l) {
        out.put(prefix + ".weight", l.weight());
        if (l.bias() != null) {
            out.put(prefix + ".bias", l.bias());
        }
    }

    private static void putConv1d(Map<String, HostTensor> out, String prefix, LinearWeights l) {
        out.put(prefix + ".weight", Tensors.transpose(l.weight()));
        out.put(prefix + ".bias", l.bias());
    }

    /** Name lookup that accepts an optional model prefix and tracks which tensors were used. */
    private static final class Lookup {
        private final Map<String, HostTensor> tensors;
        private final String prefix;
        private final TreeSet<String> unused;

        Lookup(Map<String, HostTensor> tensors, String prefix) {
            this.tensors = tensors;
            this.prefix = prefix;
            this.unused = new TreeSet<>(tensors.keySet());
        }

        HostTensor get(String name) {
            for (String candidate : List.of(name, prefix + name)) {
                HostTensor t = tensors.get(candidate);
                if (t != null) {
                    unused.remove(candidate);
                    return t;
                }
            }
            throw new IllegalArgumentException("checkpoint has no tensor '" + name + "'");
        }

        /** {@link #get(String)}, refusing a tensor whose shape is not {@code shape}, by its checkpoint name. */
        HostTensor get(String name, long... shape) {
            HostTensor t = get(name);
            if (!java.util.Arrays.equals(t.shape(), shape)) {
                String found = tensors.containsKey(name) ? name : prefix + name;
                throw new IllegalArgumentException("checkpoint tensor '" + found + "' has shape "
                        + java.util.Arrays.toString(t.shape()) + " but the config needs "
                        + java.util.Arrays.toString(shape));
            }
            return t;
        }

        /** LayerNorm parameters; old BERT checkpoints name them gamma/beta. */
        HostTensor norm(String name, boolean gain) {
            String modern = name + (gain ? ".weight" : ".bias");
            String legacy = name + (gain ? ".gamma" : ".beta");
            if (tensors.containsKey(modern) || tensors.containsKey(prefix + modern)) {
                return get(modern);
            }
            if (tensors.containsKey(legacy) || tensors.containsKey(prefix + legacy)) {
                return get(legacy);
            }
            throw new IllegalArgumentException("checkpoint has no tensor '" + modern + "'");
        }

        LinearWeights linear(String name) {
            return new LinearWeights(get(name + ".weight"), get(name + ".bias"));
        }

        LinearWeights conv1d(String name) {
            return new LinearWeights(Tensors.transpose(get(name + ".weight")), get(name + ".bias"));
        }

        void ignoreUnused(String... startsWith) {
            unused.removeIf(n -> {
                for (String s : startsWith) {
                    if (n.startsWith(s) || n.startsWith(prefix + s)) {
                        return true;
                    }
                }
                return false;
            });
        }

        void ignoreSuffix(String... suffixes) {
            unused.removeIf(n -> {
                for (String s : suffixes) {
                    if (n.endsWith(s)) {
                        return true;
                    }
                }
                return false;
            });
        }

        void requireAllUsed() {
            if (!unused.isEmpty()) {
                throw new IllegalArgumentException("checkpoint has tensors this architecture does not use: "
                        + String.join(", ", unused.stream().limit(5).toList()) + (unused.size() > 5 ? ", ..." : ""));
            }
        }
    }
}
