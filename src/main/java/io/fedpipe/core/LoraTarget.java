package io.fedpipe.core;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The matrices of a transformer block that can carry a LoRA adapter. Names are
 * architecture-neutral; {@code io.fedpipe.model} maps them to each family's weights.
 */
public enum LoraTarget {
    /** Attention query projection. */
    Q("q"),
    /** Attention key projection. */
    K("k"),
    /** Attention value projection. */
    V("v"),
    /** Attention output projection. */
    O("o"),
    /** Gated MLP's gate projection (Llama's {@code gate_proj}); absent in BERT and GPT-2. */
    GATE("gate"),
    /** FFN input (up) projection. */
    FFN_IN("ffn_in"),
    /** FFN output (down) projection. */
    FFN_OUT("ffn_out");

    private final String key;

    LoraTarget(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    public static LoraTarget parse(String s) {
        String k = s.trim().toLowerCase(Locale.ROOT);
        for (LoraTarget t : values()) {
            if (t.key.equals(k)) {
                return t;
            }
        }
        // Hugging Face Llama module names are accepted as they are (q_proj, ..., down_proj).
        switch (k) {
            case "q_proj": return Q;
            case "k_proj": return K;
            case "v_proj": return V;
            case "o_proj": return O;
            case "gate_proj": return GATE;
            case "up", "up_proj": return FFN_IN;
            case "down", "down_proj": return FFN_OUT;
            default: break;
        }
        throw new IllegalArgumentException("unknown LoRA target '" + s + "'; valid: q, k, v, o, gate, ffn_in (up), "
                + "ffn_out (down), or the Hugging Face names q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj");
    }

    /** Parses a comma-separated list such as {@code q,k,v,o}. */
    public static Set<LoraTarget> parseList(String csv) {
        List<LoraTarget> list = new ArrayList<>();
        for (String part : csv.split(",")) {
            if (!part.isBlank()) {
                list.add(parse(part));
            }
        }
        if (list.isEmpty()) {
            throw new IllegalArgumentException("no LoRA targets given in '" + csv + "'");
        }
        return EnumSet.copyOf(list);
    }
}
