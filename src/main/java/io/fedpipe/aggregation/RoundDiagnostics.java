package io.fedpipe.aggregation;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One round's aggregation in a line: accuracy against the exact average, where the update's
 * energy sits in the rank segments, and what the server spent.
 *
 * @param meanErrorVsExact  mean over the aggregated matrices of {@link AggregationResult#errorVsExact()} (NaN when none)
 * @param maxErrorVsExact   the worst matrix's (NaN when none)
 * @param segmentEnergyShare per rank segment, the mean over the matrices that have it of
 *                           {@link MatrixDiagnostics#segmentEnergyShare()}
 * @param aggregationMillis wall time of the whole {@code aggregate} call: validation, the strategy's
 *                          math and the exact-error measurement (which forms each update densely)
 * @param combineMillis     the part spent in the strategy's own math (SVDs, averages): the server cost
 *                          that differs between strategies
 * @param bytesUp           what the delivered updates cost as float32: every adapter and dense tensor
 *                          received, rejected ones included
 * @param bytesDown         what the per-node adapters to send back cost as float32 (dense tensors,
 *                          the same for every strategy, not counted)
 * @param maxGlobalRank     the largest global rank over the aggregated matrices (0 when none)
 * @param meanGlobalRank    their mean global rank (NaN when none)
 */
public record RoundDiagnostics(double meanErrorVsExact, double maxErrorVsExact,
        Map<RankSegment, Double> segmentEnergyShare, double aggregationMillis, double combineMillis, long bytesUp,
        long bytesDown, int maxGlobalRank, double meanGlobalRank) {

    public RoundDiagnostics {
        segmentEnergyShare = Collections.unmodifiableMap(new TreeMap<>(segmentEnergyShare));
    }

    static RoundDiagnostics of(Map<?, Double> errors, Map<?, MatrixDiagnostics> matrices, RoundCost cost) {
        double mean = errors.values().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        double max = errors.values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        Map<RankSegment, double[]> sums = new TreeMap<>();
        for (MatrixDiagnostics m : matrices.values()) {
            m.segmentEnergyShare().forEach((s, v) -> {
                double[] acc = sums.computeIfAbsent(s, k -> new double[2]);
                acc[0] += v;
                acc[1]++;
            });
        }
        Map<RankSegment, Double> shares = new TreeMap<>();
        sums.forEach((s, acc) -> shares.put(s, acc[0] / acc[1]));
        int maxRank = matrices.values().stream().mapToInt(MatrixDiagnostics::globalRank).max().orElse(0);
        double meanRank = matrices.values().stream().mapToInt(MatrixDiagnostics::globalRank).average().orElse(Double.NaN);
        return new RoundDiagnostics(mean, max, shares, cost.aggregationMillis(), cost.combineMillis(), cost.bytesUp(),
                cost.bytesDown(), maxRank, meanRank);
    }

    /** e.g. {@code err mean 1.2e-02 max 3.4e-02 | rank max 32 mean 24.0 | energy [0,4) 0.61 [4,8) 0.27 | 12.3 ms (combine 4.1) | up 1.2 MB down 0.9 MB}. */
    public String summaryLine() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "err mean %.2e max %.2e | rank max %d mean %.1f | energy", meanErrorVsExact, maxErrorVsExact,
                maxGlobalRank, meanGlobalRank));
        segmentEnergyShare.forEach((s, v) -> sb.append(String.format(Locale.ROOT, " %s %.2f", s, v)));
        sb.append(String.format(Locale.ROOT, " | %.1f ms (combine %.1f) | up %.2f MB down %.2f MB", aggregationMillis,
                combineMillis, bytesUp / 1e6, bytesDown / 1e6));
        return sb.toString();
    }
}
