package io.fedpipe.aggregation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How one matrix's global adapter spreads its update over the rank segments of the round.
 *
 * <p>For the global written as returned, {@code ΔW_g = B_g A_g} (scale folded), the energy of a
 * segment {@code [i, j)} is {@code e = ‖B_g[:, i:j] A_g[i:j, :]‖_F²} and its share
 * {@code e / Σ_segments e}. Segments are cut at the distinct ranks of the matrix's contributors
 * ({@link RankSegment}); when the global has more directions than the largest rank, one more
 * segment {@code [r_max, rank_g)} holds the rest. For an SVD-ordered global the segments are
 * orthogonal and the shares split {@code ‖ΔW_g‖_F²} exactly; for factor averages the cross terms
 * between segments are left out, which is why the shares are normalized by their own sum. Rank
 * collapse (the energy concentrating in the lowest shared segment) shows as the shares of the
 * upper segments going to 0 over rounds.
 *
 * @param globalRank         the global adapter's rank
 * @param participantRanks   the distinct ranks of the contributors, ascending
 * @param segmentEnergyShare share of each segment, in segment order; sums to 1 (all 0 for a zero global)
 */
public record MatrixDiagnostics(int globalRank, List<Integer> participantRanks,
        Map<RankSegment, Double> segmentEnergyShare) {

    public MatrixDiagnostics {
        participantRanks = List.copyOf(participantRanks);
        segmentEnergyShare = Collections.unmodifiableMap(new TreeMap<>(segmentEnergyShare));
    }

    static MatrixDiagnostics of(Factors global, int[] ranks) {
        List<RankSegment> segments = new ArrayList<>();
        int from = 0;
        for (int to : ranks) {
            segments.add(new RankSegment(from, to));
            from = to;
        }
        if (global.rank() > from) {
            segments.add(new RankSegment(from, global.rank()));
        }
        double[] energy = new double[segments.size()];
        double total = 0;
        for (int k = 0; k < energy.length; k++) {
            energy[k] = segmentEnergy(global, segments.get(k));
            total += energy[k];
        }
        Map<RankSegment, Double> shares = new TreeMap<>();
        for (int k = 0; k < energy.length; k++) {
            shares.put(segments.get(k), total == 0 ? 0 : energy[k] / total);
        }
        List<Integer> distinct = new ArrayList<>();
        for (int r : ranks) {
            distinct.add(r);
        }
        return new MatrixDiagnostics(global.rank(), distinct, shares);
    }

    /** {@code ‖B[:, i:j] A[i:j, :]‖_F²}, zero for directions the adapter does not have. */
    static double segmentEnergy(Factors f, RankSegment s) {
        int end = Math.min(s.to(), f.rank());
        if (s.from() >= end) {
            return 0;
        }
        Mat b = Mat.zeros(f.b().rows(), end - s.from());
        Mat a = Mat.zeros(end - s.from(), f.a().cols());
        for (int i = 0; i < b.rows(); i++) {
            for (int j = s.from(); j < end; j++) {
                b.set(i, j - s.from(), f.b().get(i, j));
            }
        }
        System.arraycopy(f.a().data(), s.from() * f.a().cols(), a.data(), 0, a.data().length);
        double norm = RoundAggregation.normOfProduct(new Factors(b, a));
        return norm * norm;
    }
}
