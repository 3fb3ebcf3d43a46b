package io.fedpipe.cluster.protocol;

import io.fedpipe.aggregation.AggregationStrategy;
import io.fedpipe.simulation.ExperimentSpec;

/** The aggregation strategies a cluster job may name, by the keys of experiment files. */
public final class JobStrategies {

    private JobStrategies() {}

    /**
     * The strategy of {@code key}. Full fine-tuning ({@code fedavg-full}) is refused: its dense
     * weights (90 MB for MiniLM-L6) exceed the wire's message limit; it runs in the simulator.
     */
    public static AggregationStrategy of(String key) {
        for (ExperimentSpec.Strategy s : ExperimentSpec.Strategy.values()) {
            if (s.key().equals(key)) {
                if (s.fullWeights()) {
                    throw new IllegalArgumentException("strategy " + key + " (full fine-tuning) runs only in the"
                            + " simulator: its dense weights exceed the wire's message limit");
                }
                return s.create();
            }
        }
        throw new IllegalArgumentException("unknown strategy '" + key + "'; valid: fedpipe, flexlora, hetlora, fedavg-lora");
    }
}
