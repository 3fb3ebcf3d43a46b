package io.fedpipe.importance;

import io.fedpipe.aggregation.MatrixShape;
import io.fedpipe.core.MatrixId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Stage 1's global step: combines the nodes' per-matrix importance into one ranking and
 * selects the matrices that get adapters within a budget.
 *
 * <p>Each node's scores are first normalised to sum 1, so a node whose loss (and hence
 * sensitivity) has a larger scale cannot dominate. Node n's weight is
 * {@code w_n = |D_n| / Σ_m |D_m|}. The global score of matrix M is the weighted mean over the
 * nodes that scored M: {@code S(M) = Σ_{n∋M} w_n·ŝ_n(M) / Σ_{n∋M} w_n}; a node that did not
 * score M (e.g. it could not hold an adapter there) neither votes for nor against it. When every
 * node scores every matrix this is {@code Σ_n w_n·ŝ_n(M)}.
 *
 * <p>Selection is greedy by score, ties broken by {@link MatrixId} order: take the first
 * {@code max} matrices, or walk the ranking and take each matrix whose adapter parameters
 * {@code r·(in + out)} still fit the remaining parameter budget (a matrix that does not fit
 * is skipped, a smaller one further down may still fit).
 */
public final class ImportanceSelection {

    /** One node's probe result: importance per matrix and its local data size |D_n|. */
    public record NodeScores(String node, long dataSize, Map<MatrixId, Double> scores) {
        public NodeScores {
            if (node == null || node.isBlank()) {
                throw new IllegalArgumentException("node name is missing");
            }
            if (dataSize <= 0) {
                throw new IllegalArgumentException("node " + node + " has data size " + dataSize + "; it must be > 0");
            }
            if (scores == null || scores.isEmpty()) {
                throw new IllegalArgumentException("node " + node + " scored no matrix");
            }
            double sum = 0;
            for (Map.Entry<MatrixId, Double> e : scores.entrySet()) {
                Double v = e.getValue();
                if (v == null || !Double.isFinite(v) || v < 0) {
                    throw new IllegalArgumentException("node " + node + " scored matrix " + e.getKey() + " " + v
                            + "; scores must be finite and >= 0");
                }
                sum += v;
            }
            if (!(sum > 0)) {
                throw new IllegalArgumentException("node " + node + " scored every matrix 0: nothing to rank by");
            }
            scores = Map.copyOf(scores);
        }
    }

    /** How much may be adapted: a number of matrices, or a number of trainable adapter parameters. */
    public sealed interface Budget {

        /** At most {@code max} matrices. */
        record Matrices(int max) implements Budget {
            public Matrices {
                if (max <= 0) {
                    throw new IllegalArgumentException("matrix budget must be > 0: " + max);
                }
            }
        }

        /**
         * At most {@code max} adapter parameters, a matrix {@code [out, in]} at rank r costing
         * {@code r·(in + out)} (A is {@code [r, in]}, B is {@code [out, r]}).
         */
        record Parameters(long max, int rank, Map<MatrixId, MatrixShape> shapes) implements Budget {
            public Parameters {
                if (max <= 0) {
                    throw new IllegalArgumentException("parameter budget must be > 0: " + max);
                }
                if (rank <= 0) {
                    throw new IllegalArgumentException("adapter rank must be > 0: " + rank);
                }
                if (shapes == null || shapes.isEmpty()) {
                    throw new IllegalArgumentException("a parameter budget needs the matrices' shapes");
                }
                shapes = Map.copyOf(shapes);
            }

            public long cost(MatrixId id) {
                MatrixShape s = shapes.get(id);
                if (s == null) {
                    throw new IllegalArgumentException("no shape for matrix " + id + " in the parameter budget");
                }
                return (long) rank * (s.in() + s.out());
            }
        }
    }

    /** A matrix and its global score. */
    public record Ranked(MatrixId id, double score) {}

    /**
     * @param ranking  every scored matrix, best first
     * @param selected the chosen matrices, in ranking order
     * @param parameters adapter parameters of the selection (0 under a matrix-count budget)
     */
    public record Result(List<Ranked> ranking, List<Ranked> selected, long parameters) {
        public Result {
            ranking = List.copyOf(ranking);
            selected = List.copyOf(selected);
        }

        public Set<MatrixId> selectedIds() {
            Set<MatrixId> ids = new TreeSet<>();
            selected.forEach(r -> ids.add(r.id()));
            return ids;
        }
    }

    private static final Comparator<Ranked> BEST_FIRST =
            Comparator.comparingDouble(Ranked::score).reversed().thenComparing(Ranked::id);

    private ImportanceSelection() {}

    /** The global ranking alone (see the class comment for the rule). */
    public static List<Ranked> rank(List<NodeScores> nodes) {
        if (nodes == null || nodes.isEmpty()) {
            throw new IllegalArgumentException("no node scores to combine");
        }
        Set<String> names = new TreeSet<>();
        double totalData = 0;
        for (NodeScores n : nodes) {
            if (!names.add(n.node())) {
                throw new IllegalArgumentException("node " + n.node() + " reported scores twice");
            }
            totalData += n.dataSize();
        }
        Map<MatrixId, double[]> sums = new TreeMap<>(); // {Σ w·ŝ, Σ w}
        for (NodeScores n : nodes) {
            double w = n.dataSize() / totalData;
            double norm = n.scores().values().stream().mapToDouble(Double::doubleValue).sum();
            for (Map.Entry<MatrixId, Double> e : n.scores().entrySet()) {
                double[] s = sums.computeIfAbsent(e.getKey(), k -> new double[2]);
                s[0] += w * e.getValue() / norm;
                s[1] += w;
            }
        }
        List<Ranked> ranking = new ArrayList<>();
        sums.forEach((id, s) -> ranking.add(new Ranked(id, s[0] / s[1])));
        ranking.sort(BEST_FIRST);
        return ranking;
    }

    /** Ranks and selects within the budget; throws if the budget fits no matrix. */
    public static Result select(List<NodeScores> nodes, Budget budget) {
        if (budget == null) {
            throw new IllegalArgumentException("no budget given");
        }
        List<Ranked> ranking = rank(nodes);
        List<Ranked> selected = new ArrayList<>();
        long used = 0;
        if (budget instanceof Budget.Matrices m) {
            selected.addAll(ranking.subList(0, Math.min(m.max(), ranking.size())));
        } else if (budget instanceof Budget.Parameters p) {
            long cheapest = Long.MAX_VALUE;
            for (Ranked r : ranking) {
                long cost = p.cost(r.id());
                cheapest = Math.min(cheapest, cost);
                if (used + cost <= p.max()) {
                    selected.add(r);
                    used += cost;
                }
            }
            if (selected.isEmpty()) {
                throw new IllegalArgumentException("parameter budget " + p.max() + " fits no matrix: the smallest needs "
                        + cheapest + " at rank " + p.rank());
            }
        }
        return new Result(ranking, selected, used);
    }
}
