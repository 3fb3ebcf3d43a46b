package io.fedpipe.profile;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.planning.CostModel;
import io.fedpipe.planning.ModelShape;
import io.fedpipe.quant.QuantFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Profiles with exactly known step times, for tests of what is fitted from them. */
public final class SyntheticProfiles {

    public static final ModelShape SHAPE = ModelShape.preset("minilm-l6");
    public static final Set<LoraTarget> QKVO = Set.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O);

    private SyntheticProfiles() {}

    /**
     * MiniLM at {@code seq} tokens on batches 2, 6, 12 × ranks 4, 16, every step exactly
     * {@code secondsPerFlop.get(f) · FLOPs}: no fixed cost, so the planner's form (h = 0) and
     * {@link FittedCostModel}'s FLOPS form (c0 = 0) both fit it exactly. One memory entry per format.
     */
    public static NodeProfile pureFlopRate(int seq, Map<QuantFormat, Double> secondsPerFlop) {
        List<NodeProfile.StepTiming> timings = new ArrayList<>();
        List<NodeProfile.FormatMemory> memory = new ArrayList<>();
        secondsPerFlop.forEach((f, k) -> {
            for (int rank : List.of(4, 16)) {
                for (int batch : List.of(2, 6, 12)) {
                    double flops = CostModel.stepFlops(SHAPE, QKVO, rank, batch, seq);
                    timings.add(new NodeProfile.StepTiming(f, batch, rank, flops, List.of(k * flops)));
                }
            }
            memory.add(new NodeProfile.FormatMemory(f, 80_000_000L, 12_000_000L, 8, 2, 40_000_000L, 8, 100_000_000L));
        });
        return new NodeProfile("minilm-l6", seq, 1, QKVO, timings, memory);
    }
}
