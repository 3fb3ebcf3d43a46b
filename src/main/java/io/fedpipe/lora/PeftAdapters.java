package io.fedpipe.lora;

import io.fedpipe.core.MatrixId;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.HostTensor;
import io.fedpipe.core.TransformerConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Adapters in Hugging Face PEFT's layout: {@code adapter_model.safetensors} tensors named
 * {@code base_model.model.<module>.lora_A.weight [r, in]} / {@code lora_B.weight [out, r]}, and
 * an {@code adapter_config.json} whose {@code rank_pattern} carries per-matrix ranks.
 *
 * <p>GPT-2's q, k, v share one fused {@code c_attn} module in Hugging Face; PEFT cannot
 * express separate adapters on them, so for GPT-2 the module names are FedPipe's split
 * names ({@code h.N.attn.q_proj} ...), stated in the config's {@code fedpipe_module_names}.
 */
public final class PeftAdapters {

    /** One adapted matrix's host arrays: {@code a [r, in]}, {@code b [out, r]}. */
    public record Adapter(HostTensor a, HostTensor b) {}

    private PeftAdapters() {}

    public static String moduleName(TransformerConfig.Family family, MatrixId id) {
        int i = id.layer();
        if (family == TransformerConfig.Family.BERT) {
            String p = "encoder.layer." + i + ".";
            return switch (id.target()) {
                case Q -> p + "attention.self.query";
                case K -> p + "attention.self.key";
                case V -> p + "attention.self.value";
                case O -> p + "attention.output.dense";
                case FFN_IN -> p + "intermediate.dense";
                case FFN_OUT -> p + "output.dense";
            };
        }
        String p = "h." + i + ".";
        return switch (id.target()) {
            case Q -> p + "attn.q_proj";
            case K -> p + "attn.k_proj";
            case V -> p + "attn.v_proj";
            case O -> p + "attn.c_proj";
            case FFN_IN -> p + "mlp.c_fc";
            case FFN_OUT -> p + "mlp.c_proj";
        };
    }

    /** Tensors for {@code adapter_model.safetensors}; {@code extra} (e.g. a classifier head) is saved as is. */
    public static Map<String, HostTensor> tensors(TransformerConfig.Family family, Map<MatrixId, Adapter> adapters,
            Map<String, HostTensor> extra) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Map.Entry<MatrixId, Adapter> e : new TreeMap<>(adapters).entrySet()) {
            String m = "base_model.model." + moduleName(family, e.getKey());
            out.put(m + ".lora_A.weight", e.getValue().a());
            out.put(m + ".lora_B.weight", e.getValue().b());
        }
        extra.forEach((k, v) -> out.put("base_model.model." + k, v));
        return out;
    }

    /** {@code adapter_config.json}. */
    public static ObjectNode config(TransformerConfig.Family family, LoraConfig lora, String baseModel,
            String taskType, Set<String> modulesToSave) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("peft_type", "LORA");
        o.put("task_type", taskType);
        o.put("base_model_name_or_path", baseModel);
        int common = lora.ranks().values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        o.put("r", common);
        o.put("lora_alpha", lora.alpha());
        o.put("lora_dropout", lora.dropout());
        o.put("bias", "none");
        o.put("fan_in_fan_out", false);
        o.put("inference_mode", true);
        Set<String> targets = new TreeSet<>();
        ObjectNode pattern = o.putObject("rank_pattern");
        for (Map.Entry<MatrixId, Integer> e : lora.ranks().entrySet()) {
            String module = moduleName(family, e.getKey());
            // Full module names: PEFT matches target_modules by suffix, and a short name such as
            // "dense" or "output.dense" would also catch BERT's other dense layers.
            targets.add(module);
            if (e.getValue() != common) {
                pattern.put(module, e.getValue());
            }
        }
        var t = o.putArray("target_modules");
        targets.forEach(t::add);
        var save = o.putArray("modules_to_save");
        modulesToSave.forEach(save::add);
        if (family == TransformerConfig.Family.GPT2) {
            o.put("fedpipe_module_names", "split q_proj/k_proj/v_proj of the fused c_attn");
        }
        return o;
    }
}
