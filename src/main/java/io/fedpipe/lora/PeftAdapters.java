package io.fedpipe.lora;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fedpipe.core.HostTensor;
import io.fedpipe.core.TransformerConfig;
import java.util.LinkedHashMap;
import java.util.List;
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

    /**
     * The Hugging Face module that holds matrix {@code id}. GPT-2's q, k and v are one fused
     * {@code attn.c_attn} (width 3d): three adapters share that module name and are written as one
     * block-diagonal adapter (see {@link #tensors}).
     */
    public static String moduleName(TransformerConfig.Family family, MatrixId id) {
        int i = id.layer();
        return switch (family) {
            case BERT -> {
                String p = "encoder.layer." + i + ".";
                yield switch (id.target()) {
                    case Q -> p + "attention.self.query";
                    case K -> p + "attention.self.key";
                    case V -> p + "attention.self.value";
                    case O -> p + "attention.output.dense";
                    case FFN_IN -> p + "intermediate.dense";
                    case FFN_OUT -> p + "output.dense";
                    case GATE -> throw noGate(family);
                };
            }
            case GPT2 -> {
                String p = "transformer.h." + i + ".";
                yield switch (id.target()) {
                    case Q, K, V -> p + "attn.c_attn";
                    case O -> p + "attn.c_proj";
                    case FFN_IN -> p + "mlp.c_fc";
                    case FFN_OUT -> p + "mlp.c_proj";
                    case GATE -> throw noGate(family);
                };
            }
            case LLAMA -> {
                String p = "model.layers." + i + ".";
                yield switch (id.target()) {
                    case Q -> p + "self_attn.q_proj";
                    case K -> p + "self_attn.k_proj";
                    case V -> p + "self_attn.v_proj";
                    case O -> p + "self_attn.o_proj";
                    case GATE -> p + "mlp.gate_proj";
                    case FFN_IN -> p + "mlp.up_proj";
                    case FFN_OUT -> p + "mlp.down_proj";
                };
            }
        };
    }

    private static IllegalArgumentException noGate(TransformerConfig.Family family) {
        return new IllegalArgumentException(family + " has no MLP gate");
    }

    /**
     * Tensors for {@code adapter_model.safetensors}; {@code extra} (e.g. a classifier head) is saved as is.
     *
     * <p>Adapters that share a module (GPT-2's q, k, v in {@code c_attn}) are fused exactly:
     * {@code A = [A_q; A_k; A_v]} ({@code [r_q + r_k + r_v, d]}) and {@code B} block-diagonal
     * ({@code [3d, r_q + r_k + r_v]}, q rows first), each block already multiplied by its own
     * scale α/r; {@link #config} then gives that module scale 1 ({@code alpha_pattern} = its rank),
     * so PEFT's {@code (α/r)·B·A} is the three deltas stacked, whatever their ranks. A part
     * without an adapter is a zero block of rank 0, also when only one of q, k, v is adapted.
     */
    public static Map<String, HostTensor> tensors(TransformerConfig.Family family, Map<MatrixId, Adapter> adapters,
            LoraConfig lora, Map<String, HostTensor> extra) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<MatrixId>> m : modules(family, adapters.keySet()).entrySet()) {
            String name = "base_model.model." + m.getKey();
            List<MatrixId> ids = m.getValue();
            if (!fused(family, ids.get(0))) {
                Adapter a = adapters.get(ids.get(0));
                out.put(name + ".lora_A.weight", a.a());
                out.put(name + ".lora_B.weight", a.b());
                continue;
            }
            Adapter fused = fuseQkv(ids, adapters, lora);
            out.put(name + ".lora_A.weight", fused.a());
            out.put(name + ".lora_B.weight", fused.b());
        }
        extra.forEach((k, v) -> out.put("base_model.model." + k, v));
        return out;
    }

    /**
     * Whether {@code id} lives in a module shared with other matrices (GPT-2's c_attn): its adapter
     * is written as a block of the module's, even when it is the only one adapted there, since the
     * module's output is all three widths.
     */
    static boolean fused(TransformerConfig.Family family, MatrixId id) {
        return family == TransformerConfig.Family.GPT2
                && (id.target() == LoraTarget.Q || id.target() == LoraTarget.K || id.target() == LoraTarget.V);
    }

    /** Module name → the matrices it holds (one, or GPT-2's q/k/v), in module order. */
    static Map<String, List<MatrixId>> modules(TransformerConfig.Family family, Set<MatrixId> ids) {
        Map<String, List<MatrixId>> modules = new LinkedHashMap<>();
        for (MatrixId id : new TreeSet<>(ids)) {
            modules.computeIfAbsent(moduleName(family, id), k -> new java.util.ArrayList<>()).add(id);
        }
        return modules;
    }

    private static Adapter fuseQkv(List<MatrixId> ids, Map<MatrixId, Adapter> adapters, LoraConfig lora) {
        int in = Math.toIntExact(adapters.get(ids.get(0)).a().dim(1));
        int width = Math.toIntExact(adapters.get(ids.get(0)).b().dim(0));
        int rank = 0;
        for (MatrixId id : ids) {
            rank += Math.toIntExact(adapters.get(id).a().dim(0));
        }
        float[] a = new float[rank * in];
        float[] b = new float[3 * width * rank];
        int r0 = 0;
        for (MatrixId id : ids) {
            Adapter ad = adapters.get(id);
            int r = Math.toIntExact(ad.a().dim(0));
            int block = switch (id.target()) {
                case Q -> 0;
                case K -> 1;
                case V -> 2;
                default -> throw new IllegalArgumentException(id + " is not part of c_attn");
            };
            System.arraycopy(ad.a().data(), 0, a, r0 * in, r * in);
            float scale = lora.scale(id);
            for (int row = 0; row < width; row++) {
                for (int j = 0; j < r; j++) {
                    b[(block * width + row) * rank + r0 + j] = ad.b().data()[row * r + j] * scale;
                }
            }
            r0 += r;
        }
        return new Adapter(new HostTensor(new long[] {rank, in}, a), new HostTensor(new long[] {3L * width, rank}, b));
    }

    /** {@code adapter_config.json}. */
    public static ObjectNode config(TransformerConfig.Family family, LoraConfig lora, String baseModel,
            String taskType, Set<String> modulesToSave) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("peft_type", "LORA");
        o.put("task_type", taskType);
        o.put("base_model_name_or_path", baseModel);
        Map<String, List<MatrixId>> modules = modules(family, lora.ranks().keySet());
        Map<String, Integer> moduleRanks = new LinkedHashMap<>();
        modules.forEach((m, ids) -> moduleRanks.put(m, ids.stream().mapToInt(lora::rank).sum()));
        int common = moduleRanks.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        o.put("r", common);
        o.put("lora_alpha", lora.alpha());
        o.put("lora_dropout", lora.dropout());
        o.put("bias", "none");
        // GPT-2's Conv1D stores [in, out]: PEFT needs fan_in_fan_out to add B·A transposed.
        o.put("fan_in_fan_out", family == TransformerConfig.Family.GPT2);
        o.put("inference_mode", true);
        ObjectNode pattern = o.putObject("rank_pattern");
        ObjectNode alphas = o.putObject("alpha_pattern");
        var t = o.putArray("target_modules");
        for (Map.Entry<String, Integer> e : moduleRanks.entrySet()) {
            // Full module names: PEFT matches target_modules by suffix, and a short name such as
            // "dense" or "c_proj" would also catch other layers of the same name.
            t.add(e.getKey());
            if (e.getValue() != common) {
                pattern.put(e.getKey(), e.getValue());
            }
            if (fused(family, modules.get(e.getKey()).get(0))) {
                // Fused c_attn: each block of B carries its own α/r already; PEFT's scale must be 1.
                alphas.put(e.getKey(), e.getValue());
            }
        }
        var save = o.putArray("modules_to_save");
        modulesToSave.forEach(save::add);
        return o;
    }

    /** Adapters read back from a PEFT directory, with the config they apply under. */
    public record Loaded(LoraConfig lora, Map<MatrixId, Adapter> adapters) {}

    /**
     * Reads a PEFT LoRA adapter directory for a model of {@code config}. Each module's own scale
     * {@code alpha_m / r_m} ({@code rank_pattern}, {@code alpha_pattern} by module name, else
     * {@code r} and {@code lora_alpha}) is folded into B, so the returned config (α = 1, scale 1/r)
     * applies exactly the same {@code ΔW}. A fused GPT-2 {@code c_attn} adapter is split into q, k
     * and v by rows of B (each part keeps the whole A); a part whose block is zero is left out.
     */
    public static Loaded read(java.nio.file.Path dir, TransformerConfig config) throws java.io.IOException {
        java.nio.file.Path cfgFile = dir.resolve("adapter_config.json");
        java.nio.file.Path weightsFile = dir.resolve("adapter_model.safetensors");
        if (!java.nio.file.Files.isRegularFile(cfgFile) || !java.nio.file.Files.isRegularFile(weightsFile)) {
            throw new IllegalArgumentException(dir + " is not a PEFT adapter: it needs adapter_config.json and "
                    + "adapter_model.safetensors");
        }
        com.fasterxml.jackson.databind.JsonNode cfg = new com.fasterxml.jackson.databind.ObjectMapper().readTree(cfgFile.toFile());
        if (!"LORA".equalsIgnoreCase(cfg.path("peft_type").asText())) {
            throw new IllegalArgumentException(cfgFile + ": peft_type is '" + cfg.path("peft_type").asText()
                    + "', FedPipe reads LORA adapters");
        }
        int r = cfg.path("r").asInt(0);
        double alpha = cfg.path("lora_alpha").asDouble(Double.NaN);
        if (r <= 0 || !(alpha > 0)) {
            throw new IllegalArgumentException(cfgFile + ": r and lora_alpha must be positive");
        }
        Map<String, List<MatrixId>> byModule = new LinkedHashMap<>();
        for (int layer = 0; layer < config.layers(); layer++) {
            for (io.fedpipe.core.LoraTarget t : config.targets()) {
                MatrixId id = new MatrixId(layer, t);
                byModule.computeIfAbsent(moduleName(config.family(), id), k -> new java.util.ArrayList<>()).add(id);
            }
        }
        Map<String, HostTensor> tensors = io.fedpipe.model.hf.SafetensorsFile.read(weightsFile);
        Map<MatrixId, Integer> ranks = new TreeMap<>();
        Map<MatrixId, Adapter> adapters = new TreeMap<>();
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (!name.endsWith(".lora_A.weight")) {
                continue;
            }
            String module = name.substring(0, name.length() - ".lora_A.weight".length()).replaceFirst("^base_model\\.model\\.", "");
            List<MatrixId> ids = byModule.get(module);
            if (ids == null) {
                throw new IllegalArgumentException(weightsFile + ": adapter for '" + module + "', which a "
                        + config.family() + " model of " + config.layers() + " layers does not have");
            }
            HostTensor a = e.getValue();
            HostTensor b = tensors.get(name.replace(".lora_A.", ".lora_B."));
            if (b == null || a.rank() != 2 || b.rank() != 2 || a.dim(0) != b.dim(1)) {
                throw new IllegalArgumentException(weightsFile + ": '" + module + "' lacks a lora_B matching lora_A " + a);
            }
            int rm = pattern(cfg.path("rank_pattern"), module, r);
            double am = patternDouble(cfg.path("alpha_pattern"), module, alpha);
            int rank = Math.toIntExact(a.dim(0));
            if (rank != rm) {
                throw new IllegalArgumentException(weightsFile + ": '" + module + "' has rank " + rank
                        + " but adapter_config.json says " + rm);
            }
            long rows = b.dim(0) / ids.size();
            for (int part = 0; part < ids.size(); part++) {
                MatrixId id = ids.get(part);
                int out = config.linearShape(id.target())[0];
                if (rows != out || a.dim(1) != config.linearShape(id.target())[1]) {
                    throw new IllegalArgumentException(weightsFile + ": '" + module + "' has shapes A " + a + ", B " + b
                            + " that do not fit " + id);
                }
                float fold = (float) (am / rm * rank); // file scale / (1 / rank)
                float[] block = new float[(int) (rows * rank)];
                boolean any = false;
                for (int i = 0; i < block.length; i++) {
                    block[i] = b.data()[(int) (part * rows * rank) + i] * fold;
                    any |= block[i] != 0;
                }
                if (!any && ids.size() > 1) {
                    continue;
                }
                ranks.put(id, rank);
                adapters.put(id, new Adapter(a, new HostTensor(new long[] {rows, rank}, block)));
            }
        }
        if (adapters.isEmpty()) {
            throw new IllegalArgumentException(weightsFile + ": no LoRA adapters in it");
        }
        return new Loaded(new LoraConfig(ranks, 1f, 0f), adapters);
    }

    private static int pattern(com.fasterxml.jackson.databind.JsonNode patterns, String module, int fallback) {
        double v = patternDouble(patterns, module, fallback);
        return (int) v;
    }

    private static double patternDouble(com.fasterxml.jackson.databind.JsonNode patterns, String module, double fallback) {
        if (patterns == null || !patterns.isObject()) {
            return fallback;
        }
        var it = patterns.properties().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if (module.equals(e.getKey()) || module.endsWith("." + e.getKey())) {
                return e.getValue().asDouble();
            }
        }
        return fallback;
    }
}
