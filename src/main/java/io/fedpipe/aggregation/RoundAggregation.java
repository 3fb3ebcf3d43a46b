package io.fedpipe.aggregation;

import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.core.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The steps every strategy shares: validate, group by matrix, renormalize weights over each
 * matrix's contributors, let the strategy's {@link MatrixRule} combine, express the results at
 * PEFT scales, measure the error against the exact average, and FedAvg the dense tensors.
 */
final class RoundAggregation {

    /**
     * An update whose {@code ‖ΔW_n‖_F} exceeds this multiple of the median of the other nodes' norms
     * for the same matrix is rejected. Honest LoRA updates of one round differ by a few times at
     * most (different data sizes, ranks, learning rates); four orders of magnitude only come from a
     * diverged or malicious node, and one such update would dominate any average.
     */
    static final double ABSURD_NORM_FACTOR = 1e4;

    private RoundAggregation() {}

    static AggregationResult run(String strategy, MatrixRule rule, List<NodeUpdate> results, List<Failure> failures,
            RoundContext ctx) {
        long started = System.nanoTime();
        long combineNanos = 0;
        List<Rejection> rejected = new ArrayList<>();
        List<NodeUpdate> nodes = distinctValidNodes(results, rejected);
        Map<MatrixId, List<Candidate>> byMatrix = new TreeMap<>();
        for (NodeUpdate n : nodes) {
            for (Map.Entry<MatrixId, PeftAdapters.Adapter> e : n.adapters().entrySet()) {
                String reason = adapterProblem(n, e.getKey(), e.getValue(), ctx, rule);
                if (reason != null) {
                    rejected.add(new Rejection(n.nodeId(), e.getKey().toString(), reason));
                    continue;
                }
                float s = n.scales().get(e.getKey());
                Factors f = new ScaledAdapter(e.getValue(), s).factors();
                byMatrix.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new Candidate(n, f, s));
            }
        }
        Map<MatrixId, ScaledAdapter> global = new TreeMap<>(ctx.previousGlobal());
        Map<String, Map<MatrixId, ScaledAdapter>> perNode = new TreeMap<>();
        Map<String, Map<MatrixId, Double>> perNodeError = new TreeMap<>();
        Map<MatrixId, Double> errors = new TreeMap<>();
        Map<MatrixId, MatrixDiagnostics> diagnostics = new TreeMap<>();
        for (Map.Entry<MatrixId, List<Candidate>> e : byMatrix.entrySet()) {
            MatrixId id = e.getKey();
            List<Candidate> valid = withoutAbsurdNorms(id, e.getValue(), rejected);
            if (valid.isEmpty()) {
                continue;
            }
            double total = valid.stream().mapToDouble(c -> c.node.weight()).sum();
            MatrixShape shape = ctx.shapes().get(id);
            Factors previous = ctx.previousGlobal().containsKey(id) ? ctx.previousGlobal().get(id).factors() : none(shape);
            boolean changes = rule.aggregatesChanges() && valid.stream().anyMatch(c -> sent(ctx, c, id) != null);
            List<MatrixRule.Contribution> contributions = new ArrayList<>();
            Mat exact = changes ? previous.product() : Mat.zeros(shape.out(), shape.in());
            for (Candidate c : valid) {
                double w = c.node.weight() / total;
                ScaledAdapter start = sent(ctx, c, id);
                Factors from = start == null ? none(shape) : start.factors();
                contributions.add(new MatrixRule.Contribution(c.node.nodeId(), w, c.update, from));
                exact.addScaled(c.update.product(), w);
                if (changes) {
                    exact.addScaled(from.product(), -w);
                }
            }
            long combineStart = System.nanoTime();
            MatrixRule.Outcome outcome = rule.combine(contributions, ctx.targetRanks().get(id), changes ? previous : null);
            combineNanos += System.nanoTime() - combineStart;
            diagnostics.put(id, MatrixDiagnostics.of(outcome.global(),
                    RankSegment.boundsOf(valid.stream().mapToInt(c -> c.update.rank()))));
            ScaledAdapter g = ScaledAdapter.of(outcome.global(), ctx.scaleForRank(outcome.global().rank()));
            global.put(id, g);
            errors.put(id, relativeError(g, exact));
            for (Candidate c : valid) {
                Factors mine = outcome.perNode().get(c.node.nodeId());
                ScaledAdapter a = ScaledAdapter.of(mine, c.scale);
                perNode.computeIfAbsent(c.node.nodeId(), k -> new TreeMap<>()).put(id, a);
                perNodeError.computeIfAbsent(c.node.nodeId(), k -> new TreeMap<>()).put(id, relativeError(a, exact));
            }
        }
        Map<String, HostTensor> dense = DenseAverage.average(nodes, ctx.previousDense(), rejected);
        RoundCost cost = new RoundCost((System.nanoTime() - started) / 1e6, combineNanos / 1e6, bytesUp(results),
                bytesDown(perNode));
        return new AggregationResult(strategy, global, perNode, dense, rejected, failures, errors, perNodeError,
                diagnostics, cost);
    }

    private static final long FLOAT32_BYTES = 4;

    /** Everything delivered, valid or not: it crossed the wire either way. */
    private static long bytesUp(List<NodeUpdate> results) {
        long floats = 0;
        for (NodeUpdate n : results) {
            for (PeftAdapters.Adapter ad : n.adapters().values()) {
                floats += ad.a().data().length + ad.b().data().length;
            }
            for (HostTensor t : n.dense().values()) {
                floats += t.data().length;
            }
        }
        return FLOAT32_BYTES * floats;
    }

    private static long bytesDown(Map<String, Map<MatrixId, ScaledAdapter>> perNode) {
        long floats = 0;
        for (Map<MatrixId, ScaledAdapter> m : perNode.values()) {
            for (ScaledAdapter a : m.values()) {
                floats += a.adapter().a().data().length + a.adapter().b().data().length;
            }
        }
        return FLOAT32_BYTES * floats;
    }

    private record Candidate(NodeUpdate node, Factors update, float scale) {}

    private static ScaledAdapter sent(RoundContext ctx, Candidate c, MatrixId id) {
        return ctx.sent().getOrDefault(c.node.nodeId(), Map.of()).get(id);
    }

    /** The empty update: rank 0. */
    static Factors none(MatrixShape shape) {
        return new Factors(Mat.zeros(shape.out(), 0), Mat.zeros(0, shape.in()));
    }

    private static List<NodeUpdate> distinctValidNodes(List<NodeUpdate> results, List<Rejection> rejected) {
        Set<String> seen = new HashSet<>();
        List<NodeUpdate> out = new ArrayList<>();
        for (NodeUpdate n : results) {
            if (!seen.add(n.nodeId())) {
                rejected.add(new Rejection(n.nodeId(), Rejection.WHOLE_UPDATE,
                        "duplicate update from node " + n.nodeId() + " in this round; the first one is kept"));
            } else if (!(n.weight() > 0) || !Double.isFinite(n.weight())) {
                rejected.add(new Rejection(n.nodeId(), Rejection.WHOLE_UPDATE,
                        "aggregation weight must be positive and finite, got " + n.weight()));
            } else {
                out.add(n);
            }
        }
        return out;
    }

    private static String adapterProblem(NodeUpdate n, MatrixId id, PeftAdapters.Adapter ad, RoundContext ctx,
            MatrixRule rule) {
        MatrixShape shape = ctx.shapes().get(id);
        Integer target = ctx.targetRanks().get(id);
        if (target == null) {
            return "matrix " + id + " is not selected for aggregation this round";
        }
        HostTensor a = ad.a();
        HostTensor b = ad.b();
        if (a.rank() != 2 || b.rank() != 2) {
            return "lora_A and lora_B must be 2-d, got A " + Arrays.toString(a.shape()) + ", B " + Arrays.toString(b.shape());
        }
        long r = a.dim(0);
        if (r < 1 || a.dim(1) != shape.in() || b.dim(0) != shape.out() || b.dim(1) != r) {
            return "shapes A " + Arrays.toString(a.shape()) + ", B " + Arrays.toString(b.shape())
                    + " do not fit matrix " + id + " " + shape + ": expected A [r, " + shape.in() + "], B ["
                    + shape.out() + ", r]";
        }
        Float s = n.scales().get(id);
        if (s == null || !(s > 0) || !Float.isFinite(s)) {
            return "LoRA scale must be positive and finite, got " + s;
        }
        String nonFinite = firstNonFinite(a, "lora_A");
        if (nonFinite == null) {
            nonFinite = firstNonFinite(b, "lora_B");
        }
        if (nonFinite != null) {
            return nonFinite;
        }
        return rule.refuse((int) r, target);
    }

    static String firstNonFinite(HostTensor t, String what) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            if (!Float.isFinite(d[i])) {
                return what + " holds " + d[i] + " at flat index " + i;
            }
        }
        return null;
    }

    /** Rejects updates whose norm is absurd next to the median of the others' (see {@link #ABSURD_NORM_FACTOR}). */
    private static List<Candidate> withoutAbsurdNorms(MatrixId id, List<Candidate> cs, List<Rejection> rejected) {
        double[] norms = cs.stream().mapToDouble(c -> normOfProduct(c.update)).toArray();
        List<Candidate> kept = new ArrayList<>();
        for (int i = 0; i < cs.size(); i++) {
            String node = cs.get(i).node.nodeId();
            if (!Double.isFinite(norms[i])) {
                rejected.add(new Rejection(node, id.toString(), "‖ΔW‖_F overflows: " + norms[i]));
                continue;
            }
            double median = medianExcept(norms, i);
            if (median > 0 && norms[i] > ABSURD_NORM_FACTOR * median) {
                rejected.add(new Rejection(node, id.toString(), String.format(java.util.Locale.ROOT,
                        "‖ΔW‖_F = %.3g is more than %.0e times the median %.3g of the other nodes' updates",
                        norms[i], ABSURD_NORM_FACTOR, median)));
                continue;
            }
            kept.add(cs.get(i));
        }
        return kept;
    }

    private static double medianExcept(double[] xs, int skip) {
        double[] others = new double[xs.length - 1];
        for (int i = 0, k = 0; i < xs.length; i++) {
            if (i != skip) {
                others[k++] = Double.isFinite(xs[i]) ? xs[i] : Double.MAX_VALUE;
            }
        }
        if (others.length == 0) {
            return 0;
        }
        Arrays.sort(others);
        int m = others.length / 2;
        return others.length % 2 == 1 ? others[m] : (others[m - 1] + others[m]) / 2;
    }

    /** {@code ‖B·A‖_F² = tr((BᵀB)(AAᵀ))}: r×r work instead of forming out×in. */
    static double normOfProduct(Factors f) {
        Mat btb = f.b().transpose().times(f.b());
        Mat aat = f.a().times(f.a().transpose());
        double s = 0;
        for (int i = 0; i < btb.rows(); i++) {
            for (int j = 0; j < btb.cols(); j++) {
                s += btb.get(i, j) * aat.get(j, i);
            }
        }
        return Math.sqrt(Math.max(s, 0));
    }

    static double relativeError(ScaledAdapter got, Mat exact) {
        Mat g = got.factors().product();
        double ref = exact.frobenius();
        double diff = Mat.distance(g, exact);
        return ref == 0 ? diff : diff / ref;
    }

    static Map<String, Factors> sameForAll(List<MatrixRule.Contribution> cs, Factors f) {
        Map<String, Factors> m = new LinkedHashMap<>();
        cs.forEach(c -> m.put(c.nodeId(), f));
        return m;
    }
}
