package io.fedpipe.planning;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.quant.QuantFormat;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The choices the planner may make and the knobs of its objective (docs/algorithm.md, "The plan").
 *
 * @param seq              tokens per training example
 * @param targets          matrices that carry adapters (the importance stage's selection), in every layer
 * @param formats          base formats a node may use
 * @param batches          batch sizes a node may use
 * @param ranks            LoRA ranks a node may use (one rank for all its selected matrices)
 * @param minSteps         local steps every planned node must do per round
 * @param maxSteps         local steps no node exceeds per round
 * @param idleTolerance    ε: every node's predicted finish is at least (1 − ε)·T
 * @param workWeight       λ: a round (T/T_lo) longer by x must bring more than x/λ relative weighted work
 * @param maxRoundStretch  T ≤ this × T_lo when {@code maxRoundSeconds} is 0
 * @param maxRoundSeconds  an absolute round limit, or 0
 * @param onNoFit          what to do with a node for which no configuration fits
 * @param matrices         the matrices that carry adapters when the importance stage selected some
 *                         (each must be one of {@code targets}); empty: every target in every layer
 */
public record PlanningPolicy(int seq, Set<LoraTarget> targets, List<QuantFormat> formats, List<Integer> batches,
                             List<Integer> ranks, int minSteps, int maxSteps, double idleTolerance, double workWeight,
                             double maxRoundStretch, double maxRoundSeconds, NoFit onNoFit,
                             Set<MatrixId> matrices) {

    /** A node for which nothing fits: fail the whole plan naming it, or plan without it and say why. */
    public enum NoFit {
        FAIL,
        EXCLUDE
    }

    public PlanningPolicy {
        if (seq <= 0) {
            throw new IllegalArgumentException("seq must be positive: " + seq);
        }
        if (targets == null || targets.isEmpty() || formats == null || formats.isEmpty()
                || batches == null || batches.isEmpty() || ranks == null || ranks.isEmpty()) {
            throw new IllegalArgumentException("targets, formats, batches and ranks must each be non-empty");
        }
        if (batches.stream().anyMatch(b -> b <= 0) || ranks.stream().anyMatch(r -> r <= 0)) {
            throw new IllegalArgumentException("batches and ranks must be positive: " + batches + ", " + ranks);
        }
        if (minSteps < 1 || maxSteps < minSteps) {
            throw new IllegalArgumentException("need 1 <= min-steps <= max-steps: " + minSteps + ", " + maxSteps);
        }
        if (!(idleTolerance > 0 && idleTolerance < 1) || !(workWeight >= 0) || !(maxRoundStretch >= 1) || maxRoundSeconds < 0) {
            throw new IllegalArgumentException("need 0 < idle tolerance < 1, work weight >= 0, stretch >= 1, round limit >= 0");
        }
        if (onNoFit == null) {
            throw new IllegalArgumentException("no-fit policy is missing");
        }
        targets = Set.copyOf(EnumSet.copyOf(targets));
        matrices = matrices == null ? Set.of() : Set.copyOf(new TreeSet<>(matrices));
        for (MatrixId id : matrices) {
            if (!targets.contains(id.target())) {
                throw new IllegalArgumentException("selected matrix " + id + " is not of an adapted target " + targets);
            }
        }
        formats = List.copyOf(formats);
        batches = List.copyOf(batches);
        ranks = List.copyOf(ranks);
    }

    /**
     * Defaults: q, k, v, o adapted; FP32, BF16, INT8, NF4 (FP16 costs the same as BF16 here);
     * batches 1–32; ranks 4–32; 10–10,000 local steps; ε = 0.1 (with ≥ 10 steps one step is at
     * most 10% of the round, so the idle window can always be met); λ = 0.8; T ≤ 3·T_lo.
     */
    public static PlanningPolicy defaults(int seq) {
        return new PlanningPolicy(seq, EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O),
                List.of(QuantFormat.FP32, QuantFormat.BF16, QuantFormat.INT8, QuantFormat.NF4),
                List.of(1, 2, 4, 8, 16, 32), List.of(4, 8, 16, 32), 10, 10_000, 0.1, 0.8, 3.0, 0, NoFit.FAIL, Set.of());
    }

    public PlanningPolicy withNoFit(NoFit policy) {
        return new PlanningPolicy(seq, targets, formats, batches, ranks, minSteps, maxSteps, idleTolerance, workWeight,
                maxRoundStretch, maxRoundSeconds, policy, matrices);
    }

    public PlanningPolicy withTargets(Set<LoraTarget> newTargets) {
        return new PlanningPolicy(seq, newTargets, formats, batches, ranks, minSteps, maxSteps, idleTolerance, workWeight,
                maxRoundStretch, maxRoundSeconds, onNoFit, Set.of());
    }

    /**
     * Only {@code selected} carry adapters (the importance stage's choice); their targets become
     * the policy's targets.
     */
    public PlanningPolicy withMatrices(Set<MatrixId> selected) {
        if (selected.isEmpty()) {
            throw new IllegalArgumentException("the selection is empty");
        }
        Set<LoraTarget> used = EnumSet.noneOf(LoraTarget.class);
        selected.forEach(id -> used.add(id.target()));
        return new PlanningPolicy(seq, used, formats, batches, ranks, minSteps, maxSteps, idleTolerance, workWeight,
                maxRoundStretch, maxRoundSeconds, onNoFit, selected);
    }

    /** The same choices with other formats, batches, ranks and step bounds. */
    public PlanningPolicy withChoices(List<QuantFormat> newFormats, List<Integer> newBatches, List<Integer> newRanks,
            int newMinSteps, int newMaxSteps) {
        return new PlanningPolicy(seq, targets, newFormats, newBatches, newRanks, newMinSteps, newMaxSteps,
                idleTolerance, workWeight, maxRoundStretch, maxRoundSeconds, onNoFit, matrices);
    }

    /** The same choices with another objective: idle tolerance ε, work weight λ, round stretch. */
    public PlanningPolicy withObjective(double newIdleTolerance, double newWorkWeight, double newMaxRoundStretch) {
        return new PlanningPolicy(seq, targets, formats, batches, ranks, minSteps, maxSteps, newIdleTolerance,
                newWorkWeight, newMaxRoundStretch, maxRoundSeconds, onNoFit, matrices);
    }

    public int maxRank() {
        return ranks.stream().mapToInt(Integer::intValue).max().orElseThrow();
    }
}
