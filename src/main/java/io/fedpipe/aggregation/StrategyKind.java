package io.fedpipe.aggregation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The aggregation strategies by the names job and experiment files use: the one registry the
 * reader, the simulator and the cluster share.
 */
public enum StrategyKind {
    FEDPIPE("fedpipe"), FLEXLORA("flexlora"), HETLORA("hetlora"), FEDAVG_LORA("fedavg-lora"),
    /** Rank-partitioned averaging ({@link RankPartitionedAggregation}). */
    RAFLORA("raflora"),
    /** Singular value thresholding of the exact average ({@link FloristAggregation}). */
    FLORIST("florist"),
    /** The FT baseline: full fine-tuning, every weight averaged by FedAvg. Also spelled {@code ft}. */
    FEDAVG_FULL("fedavg-full", "ft");

    private final String key;
    private final String alias;

    StrategyKind(String key) {
        this(key, null);
    }

    StrategyKind(String key, String alias) {
        this.key = key;
        this.alias = alias;
    }

    public String key() {
        return key;
    }

    /** True for full fine-tuning (no adapters, fp32 weights trained), false for the LoRA strategies. */
    public boolean fullWeights() {
        return this == FEDAVG_FULL;
    }

    public AggregationStrategy create() {
        return switch (this) {
            case FEDPIPE -> new FedPipeAggregation(GlobalRankBound.DEFAULT);
            case FLEXLORA -> new FlexLoraSvd();
            case HETLORA -> new HetLoraZeroPadding();
            case FEDAVG_LORA -> new FedAvgLora();
            case RAFLORA -> new RankPartitionedAggregation();
            case FLORIST -> new FloristAggregation();
            case FEDAVG_FULL -> new FedAvgFull();
        };
    }

    /** Whether the strategy's aggregate is a weighted sum of the updates ({@link AggregationStrategy#linear()}). */
    public boolean linear() {
        return create().linear();
    }

    /** The strategies that train LoRA adapters: the ones a distributed job may use. */
    public static List<StrategyKind> lora() {
        return Arrays.stream(values()).filter(s -> !s.fullWeights()).toList();
    }

    /** The strategy named {@code text} (key or alias, any case) among {@code allowed}. */
    public static StrategyKind parse(String text, List<StrategyKind> allowed) {
        String name = text.strip().toLowerCase(Locale.ROOT);
        for (StrategyKind s : allowed) {
            if (s.key.equals(name) || name.equals(s.alias)) {
                return s;
            }
        }
        List<String> valid = new ArrayList<>();
        allowed.forEach(s -> valid.add(s.key + (s.alias == null ? "" : " (or " + s.alias + ")")));
        throw new IllegalArgumentException("unknown strategy '" + text + "'; valid: " + String.join(", ", valid));
    }

    public static StrategyKind parse(String text) {
        return parse(text, List.of(values()));
    }

    /**
     * The strategy of a distributed job. Full fine-tuning ({@code fedavg-full}) is refused: its
     * dense weights (90 MB for MiniLM-L6) exceed the wire's message limit; it runs in the simulator.
     */
    public static AggregationStrategy forCluster(String key) {
        StrategyKind s;
        try {
            s = parse(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown strategy '" + key + "'; valid: "
                    + String.join(", ", lora().stream().map(StrategyKind::key).toList()), e);
        }
        if (s.fullWeights()) {
            throw new IllegalArgumentException("strategy " + key + " (full fine-tuning) runs only in the"
                    + " simulator: its dense weights exceed the wire's message limit");
        }
        return s.create();
    }
}
