package io.fedpipe.aggregation;

import static io.fedpipe.aggregation.Updates.adapter;
import static io.fedpipe.aggregation.Updates.dense;
import static io.fedpipe.aggregation.Updates.exactAverage;
import static io.fedpipe.aggregation.Updates.node;
import static io.fedpipe.aggregation.Updates.relativeError;
import static io.fedpipe.aggregation.Updates.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.core.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AggregationStrategiesTest {

    private static final MatrixId Q = new MatrixId(0, LoraTarget.Q);
    private static final MatrixId V = new MatrixId(0, LoraTarget.V);
    private static final MatrixId UP = new MatrixId(0, LoraTarget.FFN_IN);

    private static final List<AggregationStrategy> LORA_STRATEGIES =
            List.of(new FedPipeAggregation(), new FlexLoraSvd(), new HetLoraZeroPadding(), new FedAvgLora());

    private static RoundContext context(float alpha, Map<MatrixId, Integer> ranks, Map<MatrixId, MatrixShape> shapes) {
        return new RoundContext(ranks, alpha, shapes, Map.of(), Map.of(), Map.of());
    }

    @Test
    void oneNodeIsTheIdentityForEveryStrategy() {
        Random rnd = new Random(1);
        NodeUpdate only = node("a", 7, Map.of(Q, adapter(rnd, 4, 24, 16)), 8f);
        RoundContext ctx = context(8f, Map.of(Q, 4), Map.of(Q, new MatrixShape(24, 16)));
        double[] want = exactAverage(List.of(only), Q);
        for (AggregationStrategy s : LORA_STRATEGIES) {
            AggregationResult r = s.aggregate(List.of(only), List.of(), ctx);
            assertTrue(relativeError(dense(r.global().get(Q)), want) < 1e-6, s.name());
            assertTrue(relativeError(dense(r.perNode().get("a").get(Q)), want) < 1e-6, s.name());
            assertTrue(r.errorVsExact().get(Q) < 1e-6, s.name() + " " + r.errorVsExact());
            assertEquals(4, r.global().get(Q).rank(), s.name());
            assertEquals(2f, r.global().get(Q).scale(), s.name());
        }
        // Factor averaging of one node returns its very factors, bit for bit.
        AggregationResult plain = new FedAvgLora().aggregate(List.of(only), List.of(), ctx);
        assertEquals(only.adapters().get(Q).a(), plain.global().get(Q).adapter().a());
        assertEquals(only.adapters().get(Q).b(), plain.global().get(Q).adapter().b());
    }

    /**
     * 2×2, rank 1, α = 1 (s = 1). Node a (weight 1): A = [1 0], B = [1 0]ᵀ; node b (weight 3):
     * A = [0 1], B = [0 1]ᵀ. Weights 1/4, 3/4.
     * FedAvg: Ā = [.25 .75], B̄ = [.25 .75]ᵀ, B̄Ā = [[.0625 .1875] [.1875 .5625]].
     * Exact: diag(.25, .75). Difference ±.1875 everywhere: ‖·‖ = .375; ‖exact‖ = √.625;
     * relative error .375/√.625 = 0.4743416.
     */
    @Test
    void fedAvgLoraAveragesFactorsSeparatelyHandComputed() {
        List<NodeUpdate> nodes = handComputedPair();
        RoundContext ctx = context(1f, Map.of(Q, 1), Map.of(Q, new MatrixShape(2, 2)));
        AggregationResult r = new FedAvgLora().aggregate(nodes, List.of(), ctx);
        ScaledAdapter g = r.global().get(Q);
        assertArrayEquals(new float[] {0.25f, 0.75f}, g.adapter().a().data(), 0f);
        assertArrayEquals(new float[] {0.25f, 0.75f}, g.adapter().b().data(), 0f);
        assertArrayEquals(new double[] {0.0625, 0.1875, 0.1875, 0.5625}, dense(g), 1e-12);
        assertEquals(0.375 / Math.sqrt(0.625), r.errorVsExact().get(Q), 1e-9);
        assertEquals(g, r.perNode().get("a").get(Q));
    }

    /**
     * Same pair: the exact average diag(.25, .75) has σ = .75, .25. FlexLoRA at rank 1 keeps
     * diag(0, .75): error .25/√.625 = 0.3162278. FedPipe keeps both directions: exact; each node
     * still receives the rank-1 part diag(0, .75).
     */
    @Test
    void svdStrategiesOnTheHandComputedPair() {
        List<NodeUpdate> nodes = handComputedPair();
        RoundContext ctx = context(1f, Map.of(Q, 1), Map.of(Q, new MatrixShape(2, 2)));
        AggregationResult flex = new FlexLoraSvd().aggregate(nodes, List.of(), ctx);
        assertArrayEquals(new double[] {0, 0, 0, 0.75}, dense(flex.global().get(Q)), 1e-7);
        assertEquals(0.25 / Math.sqrt(0.625), flex.errorVsExact().get(Q), 1e-7);
        AggregationResult fedpipe = new FedPipeAggregation().aggregate(nodes, List.of(), ctx);
        assertEquals(2, fedpipe.global().get(Q).rank());
        assertEquals(0.5f, fedpipe.global().get(Q).scale());
        assertArrayEquals(new double[] {0.25, 0, 0, 0.75}, dense(fedpipe.global().get(Q)), 1e-7);
        assertEquals(0, fedpipe.errorVsExact().get(Q), 1e-7);
        assertArrayEquals(new double[] {0, 0, 0, 0.75}, dense(fedpipe.perNode().get("a").get(Q)), 1e-7);
        assertEquals(1f, fedpipe.perNode().get("a").get(Q).scale());
    }

    private static List<NodeUpdate> handComputedPair() {
        NodeUpdate a = node("a", 1, Map.of(Q, new PeftAdapters.Adapter(tensor(1, 2, 1, 0), tensor(2, 1, 1, 0))), 1f);
        NodeUpdate b = node("b", 3, Map.of(Q, new PeftAdapters.Adapter(tensor(1, 2, 0, 1), tensor(2, 1, 0, 1))), 1f);
        return List.of(a, b);
    }

    /**
     * Zero padding, 2×2, α = r (s = 1), equal weights. Node a rank 1: A = [1 0], B = [1 0]ᵀ,
     * ΔW = diag(1, 0). Node b rank 2: A = B = [[0 1] [1 0]], ΔW = I. Exact: diag(1, .5).
     * Padded averages: Ā = B̄ = [[.5 .5] [.5 0]], B̄Ā = [[.5 .25] [.25 .25]];
     * ‖diff‖² = .25 + 3·.0625 = .4375, ‖exact‖² = 1.25: relative error √.35 = 0.5916080.
     */
    @Test
    void zeroPaddingErrsWhereProductAveragingIsExact() {
        NodeUpdate a = NodeUpdate.lora("a", 1, Map.of(Q, new PeftAdapters.Adapter(tensor(1, 2, 1, 0), tensor(2, 1, 1, 0))),
                Map.of(Q, 1f));
        NodeUpdate b = NodeUpdate.lora("b", 1,
                Map.of(Q, new PeftAdapters.Adapter(tensor(2, 2, 0, 1, 1, 0), tensor(2, 2, 0, 1, 1, 0))), Map.of(Q, 1f));
        RoundContext ctx = context(2f, Map.of(Q, 2), Map.of(Q, new MatrixShape(2, 2)));
        AggregationResult het = new HetLoraZeroPadding().aggregate(List.of(a, b), List.of(), ctx);
        assertArrayEquals(new double[] {0.5, 0.25, 0.25, 0.25}, dense(het.global().get(Q)), 1e-7);
        assertEquals(Math.sqrt(0.35), het.errorVsExact().get(Q), 1e-7);
        assertEquals(1, het.perNode().get("a").get(Q).rank());
        assertEquals(2, het.perNode().get("b").get(Q).rank());
        for (AggregationStrategy s : List.of(new FlexLoraSvd(), new FedPipeAggregation())) {
            AggregationResult r = s.aggregate(List.of(a, b), List.of(), ctx);
            assertArrayEquals(new double[] {1, 0, 0, 0.5}, dense(r.global().get(Q)), 1e-7, s.name());
        }
    }

    @Test
    void equalRanksFedAvgIsWeightedFactorAverageAndFlexLoraIsExact() {
        Random rnd = new Random(2);
        List<NodeUpdate> nodes = new ArrayList<>();
        double[] weights = {1, 2, 5};
        for (int n = 0; n < 3; n++) {
            nodes.add(node("n" + n, weights[n], Map.of(Q, adapter(rnd, 4, 20, 12)), 8f));
        }
        RoundContext ctx = context(8f, Map.of(Q, 4), Map.of(Q, new MatrixShape(20, 12)));
        AggregationResult avg = new FedAvgLora().aggregate(nodes, List.of(), ctx);
        float[] wantA = new float[4 * 12];
        float[] wantB = new float[20 * 4];
        for (int n = 0; n < 3; n++) {
            float[] a = nodes.get(n).adapters().get(Q).a().data();
            float[] b = nodes.get(n).adapters().get(Q).b().data();
            for (int i = 0; i < a.length; i++) {
                wantA[i] += (float) (weights[n] / 8 * a[i]);
            }
            for (int i = 0; i < b.length; i++) {
                wantB[i] += (float) (weights[n] / 8 * b[i]);
            }
        }
        assertArrayEquals(wantA, avg.global().get(Q).adapter().a().data(), 1e-6f);
        assertArrayEquals(wantB, avg.global().get(Q).adapter().b().data(), 1e-6f);
        assertTrue(avg.errorVsExact().get(Q) > 0.3, "random factors: B̄Ā is far from the average: " + avg.errorVsExact());

        RoundContext full = context(8f, Map.of(Q, 12), Map.of(Q, new MatrixShape(20, 12)));
        AggregationResult flex = new FlexLoraSvd().aggregate(nodes, List.of(), full);
        assertTrue(relativeError(dense(flex.global().get(Q)), exactAverage(nodes, Q)) < 1e-6);
    }

    @Test
    void fedAvgLoraRefusesUnequalRanks() {
        Random rnd = new Random(3);
        NodeUpdate a = node("a", 1, Map.of(Q, adapter(rnd, 4, 8, 8)), 8f);
        NodeUpdate b = node("b", 1, Map.of(Q, adapter(rnd, 2, 8, 8)), 8f);
        RoundContext ctx = context(8f, Map.of(Q, 4), Map.of(Q, new MatrixShape(8, 8)));
        AggregationResult r = new FedAvgLora().aggregate(List.of(a, b), List.of(), ctx);
        assertTrue(r.wasRejected("b", "0.q"));
        assertTrue(r.rejected().get(0).reason().contains("global rank 4, got rank 2"), r.rejected().toString());
        assertEquals(a.adapters().get(Q).a(), r.global().get(Q).adapter().a());
        RoundConfig plan = new RoundConfig(1, Map.of("a", Map.of(Q, 4), "b", Map.of(Q, 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FedAvgLora().configureRound(plan));
        assertTrue(e.getMessage().contains("matrix 0.q has rank 4 on node a but 2 on node b"), e.getMessage());
        assertSame(plan, new FlexLoraSvd().configureRound(plan));
    }

    /** 4 nodes, ranks 2/4/8/8 on a [1536, 384] matrix: Σ r = 22, so rank 22 reproduces the average. */
    @Test
    void svdStrategiesReproduceTheDenseAverageWhenTheRankSufficesAndNeverTranspose() {
        Random rnd = new Random(4);
        int[] ranks = {2, 4, 8, 8};
        List<NodeUpdate> nodes = new ArrayList<>();
        for (int n = 0; n < 4; n++) {
            nodes.add(node("n" + n, 100 + 50 * n, Map.of(UP, adapter(rnd, ranks[n], 1536, 384)), 16f));
        }
        double[] want = exactAverage(nodes, UP);
        Map<MatrixId, MatrixShape> shapes = Map.of(UP, new MatrixShape(1536, 384));
        AggregationResult flex = new FlexLoraSvd().aggregate(nodes, List.of(), context(16f, Map.of(UP, 22), shapes));
        AggregationResult fedpipe = new FedPipeAggregation().aggregate(nodes, List.of(), context(16f, Map.of(UP, 8), shapes));
        for (AggregationResult r : List.of(flex, fedpipe)) {
            ScaledAdapter g = r.global().get(UP);
            assertArrayEquals(new long[] {22, 384}, g.adapter().a().shape(), r.strategy());
            assertArrayEquals(new long[] {1536, 22}, g.adapter().b().shape(), r.strategy());
            assertTrue(relativeError(dense(g), want) < 1e-5, r.strategy());
            assertTrue(r.errorVsExact().get(UP) < 1e-5, r.strategy());
            assertArrayEquals(new long[] {1536, 384}, g.delta().shape());
        }
        // Each node gets the same best rank-r_n part from both.
        for (int n = 0; n < 4; n++) {
            double[] f = dense(flex.perNode().get("n" + n).get(UP));
            double[] p = dense(fedpipe.perNode().get("n" + n).get(UP));
            assertTrue(relativeError(p, f) < 1e-5);
            assertEquals(ranks[n], fedpipe.perNode().get("n" + n).get(UP).rank());
            assertEquals(16f / ranks[n], fedpipe.perNode().get("n" + n).get(UP).scale());
        }
    }

    @Test
    void squareResultIsNotTheTransposeAndTransposedUpdatesAreRejected() {
        Random rnd = new Random(5);
        List<NodeUpdate> nodes = List.of(node("a", 1, Map.of(Q, adapter(rnd, 4, 48, 48)), 8f),
                node("b", 2, Map.of(Q, adapter(rnd, 8, 48, 48)), 8f));
        double[] want = exactAverage(nodes, Q);
        RoundContext ctx = context(8f, Map.of(Q, 12), Map.of(Q, new MatrixShape(48, 48)));
        for (AggregationStrategy s : List.of(new FedPipeAggregation(), new FlexLoraSvd())) {
            double[] got = dense(s.aggregate(nodes, List.of(), ctx).global().get(Q));
            assertTrue(relativeError(got, want) < 1e-5, s.name());
            assertTrue(relativeError(got, Updates.transpose(want, 48, 48)) > 0.5, s.name());
        }
        // A [r, out] / B [in, r] for a [16, 24] matrix is a transposed update: rejected.
        PeftAdapters.Adapter ok = adapter(rnd, 2, 16, 24);
        PeftAdapters.Adapter transposed = new PeftAdapters.Adapter(Updates.gaussian(rnd, 2, 16, 1), Updates.gaussian(rnd, 24, 2, 1));
        RoundContext rect = context(8f, Map.of(V, 2), Map.of(V, new MatrixShape(16, 24)));
        AggregationResult r = new FedPipeAggregation().aggregate(
                List.of(node("a", 1, Map.of(V, ok), 8f), node("t", 1, Map.of(V, transposed), 8f)), List.of(), rect);
        assertTrue(r.wasRejected("t", "0.v"));
        assertTrue(r.rejected().get(0).reason().contains("expected A [r, 24], B [16, r]"), r.rejected().toString());
    }

    @Test
    void invalidUpdatesAreRejectedWithReasonsAndDoNotPoisonTheResult() {
        Random rnd = new Random(6);
        int out = 24;
        int in = 16;
        NodeUpdate good1 = node("good1", 3, Map.of(Q, adapter(rnd, 4, out, in)), 8f);
        NodeUpdate good2 = node("good2", 1, Map.of(Q, adapter(rnd, 2, out, in)), 8f);
        NodeUpdate good3 = node("good3", 2, Map.of(Q, adapter(rnd, 4, out, in)), 8f);
        List<NodeUpdate> bad = List.of(
                node("nan", 1, Map.of(Q, poisoned(adapter(rnd, 4, out, in), Float.NaN)), 8f),
                node("inf", 1, Map.of(Q, poisoned(adapter(rnd, 4, out, in), Float.POSITIVE_INFINITY)), 8f),
                node("shape", 1, Map.of(Q, adapter(rnd, 4, out, in + 1)), 8f),
                node("huge", 1, Map.of(Q, scaledB(adapter(rnd, 4, out, in), 1e6f)), 8f),
                node("good1", 1, Map.of(Q, adapter(rnd, 4, out, in)), 8f),
                node("weight", -2, Map.of(Q, adapter(rnd, 4, out, in)), 8f),
                NodeUpdate.lora("noscale", 1, Map.of(Q, adapter(rnd, 4, out, in)), Map.of()));
        List<NodeUpdate> all = new ArrayList<>(List.of(good1, good2, good3));
        all.addAll(bad);
        RoundContext ctx = context(8f, Map.of(Q, 4), Map.of(Q, new MatrixShape(out, in)));
        for (AggregationStrategy s : List.of(new FedPipeAggregation(), new FlexLoraSvd(), new HetLoraZeroPadding())) {
            AggregationResult clean = s.aggregate(List.of(good1, good2, good3), List.of(), ctx);
            AggregationResult dirty = s.aggregate(all, List.of(new Failure("late", "deadline")), ctx);
            assertArrayEquals(dense(clean.global().get(Q)), dense(dirty.global().get(Q)), 0, s.name());
            assertEquals(clean.errorVsExact(), dirty.errorVsExact());
            assertEquals(7, dirty.rejected().size(), dirty.rejected().toString());
            assertEquals(List.of(new Failure("late", "deadline")), dirty.failures());
            assertFalse(dirty.perNode().containsKey("nan"));
            assertReason(dirty, "nan", "NaN");
            assertReason(dirty, "inf", "Infinity");
            assertReason(dirty, "shape", "expected A [r, 16], B [24, r]");
            assertReason(dirty, "huge", "times the median");
            assertReason(dirty, "good1", "duplicate update");
            assertReason(dirty, "weight", "weight must be positive");
            assertReason(dirty, "noscale", "LoRA scale must be positive");
        }
    }

    private static void assertReason(AggregationResult r, String node, String fragment) {
        assertTrue(r.rejected().stream().anyMatch(x -> x.nodeId().equals(node) && x.reason().contains(fragment)),
                node + " should be rejected for '" + fragment + "': " + r.rejected());
    }

    private static PeftAdapters.Adapter poisoned(PeftAdapters.Adapter ad, float value) {
        float[] b = ad.b().data().clone();
        b[b.length / 2] = value;
        return new PeftAdapters.Adapter(ad.a(), new HostTensor(ad.b().shape(), b));
    }

    private static PeftAdapters.Adapter scaledB(PeftAdapters.Adapter ad, float factor) {
        float[] b = ad.b().data().clone();
        for (int i = 0; i < b.length; i++) {
            b[i] *= factor;
        }
        return new PeftAdapters.Adapter(ad.a(), new HostTensor(ad.b().shape(), b));
    }

    @Test
    void aMatrixIsAveragedOnlyOverTheNodesThatTrainedIt() {
        Random rnd = new Random(7);
        NodeUpdate a = node("a", 1, Map.of(Q, adapter(rnd, 2, 10, 6), V, adapter(rnd, 2, 10, 6)), 4f);
        NodeUpdate b = node("b", 4, Map.of(Q, adapter(rnd, 4, 10, 6)), 4f);
        NodeUpdate c = node("c", 3, Map.of(Q, adapter(rnd, 2, 10, 6), V, adapter(rnd, 4, 10, 6)), 4f);
        RoundContext ctx = context(4f, Map.of(Q, 4, V, 4),
                Map.of(Q, new MatrixShape(10, 6), V, new MatrixShape(10, 6)));
        AggregationResult r = new FedPipeAggregation().aggregate(List.of(a, b, c), List.of(), ctx);
        // V: weights 1 and 3 renormalized to 1/4, 3/4; node b's weight plays no part.
        double[] va = dense(a.adapters().get(V).a(), a.adapters().get(V).b(), 2);
        double[] vc = dense(c.adapters().get(V).a(), c.adapters().get(V).b(), 1);
        double[] want = new double[va.length];
        for (int i = 0; i < want.length; i++) {
            want[i] = 0.25 * va[i] + 0.75 * vc[i];
        }
        assertTrue(relativeError(dense(r.global().get(V)), want) < 1e-6);
        assertTrue(relativeError(dense(r.global().get(Q)), exactAverage(List.of(a, b, c), Q)) < 1e-6);
        assertEquals(4, r.perNode().get("b").get(Q).rank());
        assertEquals(java.util.Set.of(Q), r.perNode().get("b").keySet());
    }

    @Test
    void aMatrixWithoutValidUpdatesKeepsThePreviousGlobal() {
        Random rnd = new Random(8);
        ScaledAdapter previous = new ScaledAdapter(adapter(rnd, 2, 6, 6), 2f);
        NodeUpdate nan = node("a", 1, Map.of(Q, poisoned(adapter(rnd, 2, 6, 6), Float.NaN)), 4f);
        RoundContext ctx = context(4f, Map.of(Q, 2), Map.of(Q, new MatrixShape(6, 6))).withPrevious(Map.of(Q, previous), Map.of());
        for (AggregationStrategy s : LORA_STRATEGIES) {
            AggregationResult r = s.aggregate(List.of(nan), List.of(), ctx);
            assertSame(previous, r.global().get(Q), s.name());
            assertFalse(r.errorVsExact().containsKey(Q));
            assertTrue(r.wasRejected("a", "0.q"));
        }
    }

    /** Scales differ per node (α/r): they are folded into B before combining. */
    @Test
    void scalesAreFoldedBeforeCombiningAndResultsUsePeftScales() {
        // 1×1 matrix, α = 4, equal weights. Node a: r = 1 (s = 4), A = [1], B = [1]: ΔW = 4.
        // Node b: r = 2 (s = 2), A = [[1] [1]], B = [[1 1]]: B·A = 2, ΔW = 4. Exact average 4.
        // Without folding, averaging B·A (1 and 2) at either scale would give 6 or 3.
        NodeUpdate a = node("a", 1, Map.of(Q, new PeftAdapters.Adapter(tensor(1, 1, 1), tensor(1, 1, 1))), 4f);
        NodeUpdate b = node("b", 1, Map.of(Q, new PeftAdapters.Adapter(tensor(2, 1, 1, 1), tensor(1, 2, 1, 1))), 4f);
        RoundContext ctx = context(4f, Map.of(Q, 2), Map.of(Q, new MatrixShape(1, 1)));
        AggregationResult r = new FedPipeAggregation().aggregate(List.of(a, b), List.of(), ctx);
        ScaledAdapter g = r.global().get(Q);
        assertEquals(2f, g.scale());
        assertEquals(4.0, dense(g)[0], 1e-6);
        assertEquals(0, r.errorVsExact().get(Q), 1e-7);
        assertEquals(4f, r.perNode().get("a").get(Q).scale());
        assertEquals(4.0, dense(r.perNode().get("a").get(Q))[0], 1e-6);
        assertEquals(4.0, dense(g.withScale(0.5f))[0], 1e-6);
        assertEquals(4.0, dense(g.firstDirections(1, 4f))[0], 1e-6);
    }

    @Test
    void fullWeightFedAvgHandComputed() {
        // weights 1 and 3: [0, 4] and [4, 0] → [3, 1]; the [3]-shaped and NaN copies are rejected.
        NodeUpdate a = NodeUpdate.fullWeights("a", 1, Map.of("w", tensor(1, 2, 0, 4)));
        NodeUpdate b = NodeUpdate.fullWeights("b", 3, Map.of("w", tensor(1, 2, 4, 0), "bias", tensor(1, 1, 2)));
        NodeUpdate wrong = NodeUpdate.fullWeights("c", 5, Map.of("w", new HostTensor(new long[] {3}, new float[3])));
        NodeUpdate nan = NodeUpdate.fullWeights("d", 5, Map.of("w", tensor(1, 2, Float.NaN, 0)));
        NodeUpdate lora = NodeUpdate.lora("e", 1, Map.of(Q, adapter(new Random(9), 1, 1, 2)), Map.of(Q, 1f));
        RoundContext ctx = RoundContext.fullWeights(Map.of("w", tensor(1, 2, 9, 9), "kept", tensor(1, 1, 7)));
        AggregationResult r = new FedAvgFull().aggregate(List.of(a, b, wrong, nan, lora), List.of(), ctx);
        assertArrayEquals(new float[] {3, 1}, r.dense().get("w").data(), 0f);
        assertArrayEquals(new float[] {2}, r.dense().get("bias").data(), 0f);
        assertArrayEquals(new float[] {7}, r.dense().get("kept").data(), 0f);
        assertReason(r, "c", "differs from the expected [1, 2]");
        assertReason(r, "d", "NaN");
        assertReason(r, "e", "not selected");
        assertTrue(r.global().isEmpty());
    }

    @Test
    void errorReportOnARepresentativeRound() {
        Random rnd = new Random(10);
        int[] ranks = {2, 4, 8, 8};
        double[] sizes = {400, 900, 1500, 2500};
        Map<MatrixId, MatrixShape> shapes = Map.of(Q, new MatrixShape(384, 384), UP, new MatrixShape(1536, 384));
        List<NodeUpdate> nodes = new ArrayList<>();
        for (int n = 0; n < 4; n++) {
            nodes.add(node("n" + n, sizes[n],
                    Map.of(Q, adapter(rnd, ranks[n], 384, 384), UP, adapter(rnd, ranks[n], 1536, 384)), 16f));
        }
        RoundContext ctx = context(16f, Map.of(Q, 8, UP, 8), shapes);
        Map<String, AggregationResult> results = AggregationErrorReport.compare(LORA_STRATEGIES, nodes, List.of(), ctx);
        String table = AggregationErrorReport.table(results.values());
        System.out.println(table);
        for (MatrixId id : List.of(Q, UP)) {
            double fedpipe = results.get("fedpipe").errorVsExact().get(id);
            double flex = results.get("flexlora-svd").errorVsExact().get(id);
            double het = results.get("hetlora-zero-padding").errorVsExact().get(id);
            assertTrue(fedpipe < 1e-5, "fedpipe " + fedpipe);
            assertTrue(flex > 0.05 && flex < het, "flexlora " + flex + " hetlora " + het);
            assertEquals(2, results.get("fedavg-lora").rejected().stream().filter(x -> x.item().equals(id.toString())).count());
        }
        assertTrue(table.contains("0.ffn_in") && table.contains("fedpipe"), table);
    }

    /**
     * Round 2 of FedPipe adds what each node changed to the lossless round-1 global. Nodes that
     * return exactly what they were sent leave the global unchanged, while FlexLoRA, averaging the
     * returned rank-r_n slices, loses the tail beyond each node's rank.
     */
    @Test
    void fedPipeAddsChangesToThePreviousGlobalAcrossRounds() {
        Random rnd = new Random(13);
        List<NodeUpdate> round1 = List.of(node("a", 1, Map.of(Q, adapter(rnd, 2, 30, 20)), 8f),
                node("b", 3, Map.of(Q, adapter(rnd, 4, 30, 20)), 8f));
        RoundContext ctx1 = context(8f, Map.of(Q, 4), Map.of(Q, new MatrixShape(30, 20)));
        AggregationResult r1 = new FedPipeAggregation().aggregate(round1, List.of(), ctx1);
        RoundContext ctx2 = ctx1.next(r1);
        ScaledAdapter g1 = r1.global().get(Q);
        assertEquals(6, g1.rank());

        List<NodeUpdate> unchanged = new ArrayList<>();
        List<NodeUpdate> trained = new ArrayList<>();
        for (NodeUpdate n : round1) {
            ScaledAdapter sent = r1.perNode().get(n.nodeId()).get(Q);
            unchanged.add(NodeUpdate.lora(n.nodeId(), n.weight(), Map.of(Q, sent.adapter()), Map.of(Q, sent.scale())));
            HostTensor a = sent.adapter().a();
            float[] moved = a.data().clone();
            for (int i = 0; i < moved.length; i++) {
                moved[i] += (float) (0.1 * rnd.nextGaussian());
            }
            trained.add(NodeUpdate.lora(n.nodeId(), n.weight(),
                    Map.of(Q, new PeftAdapters.Adapter(new HostTensor(a.shape(), moved), sent.adapter().b())),
                    Map.of(Q, sent.scale())));
        }
        AggregationResult still = new FedPipeAggregation().aggregate(unchanged, List.of(), ctx2);
        assertTrue(relativeError(dense(still.global().get(Q)), dense(g1)) < 1e-6);
        AggregationResult flex = new FlexLoraSvd().aggregate(unchanged, List.of(), ctx2);
        assertTrue(relativeError(dense(flex.global().get(Q)), dense(g1)) > 0.1);

        // G2 = G1 + 1/4 (ΔW_a − sent_a) + 3/4 (ΔW_b − sent_b), computed densely here.
        double[] want = dense(g1);
        double[] wts = {0.25, 0.75};
        for (int n = 0; n < 2; n++) {
            double[] now = exactAverage(List.of(trained.get(n)), Q);
            double[] before = dense(r1.perNode().get(trained.get(n).nodeId()).get(Q));
            for (int i = 0; i < want.length; i++) {
                want[i] += wts[n] * (now[i] - before[i]);
            }
        }
        AggregationResult r2 = new FedPipeAggregation().aggregate(trained, List.of(), ctx2);
        assertTrue(relativeError(dense(r2.global().get(Q)), want) < 1e-5);
        assertTrue(r2.errorVsExact().get(Q) < 1e-5, r2.errorVsExact().toString());
    }

    @Test
    void contextRefusesAPreviousGlobalOfAnotherShape() {
        ScaledAdapter wrong = new ScaledAdapter(adapter(new Random(14), 2, 6, 5), 1f);
        RoundContext ctx = context(4f, Map.of(Q, 2), Map.of(Q, new MatrixShape(5, 6)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ctx.withPrevious(Map.of(Q, wrong), Map.of()));
        assertEquals("previous global for 0.q has shape [6, 5], expected [5, 6]", e.getMessage());
    }
}
