package io.fedpipe.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.aggregation.FedPipeAggregation;
import io.fedpipe.aggregation.MatrixShape;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.aggregation.Updates;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.core.HostTensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The engine's steps on small host adapters, without a model. */
class RoundEngineTest {

    private static final float ALPHA = 8;
    private static final MatrixId Q0 = new MatrixId(0, LoraTarget.Q);
    private static final MatrixId V0 = new MatrixId(0, LoraTarget.V);
    private static final Map<MatrixId, MatrixShape> SHAPES = Map.of(Q0, new MatrixShape(5, 4), V0, new MatrixShape(5, 4));
    private static final Map<String, HostTensor> HEAD =
            Map.of("classifier.weight", new HostTensor(new long[] {2, 4}, new float[] {1, 2, 3, 4, 5, 6, 7, 8}));

    private final RoundEngine engine = new RoundEngine(new FedPipeAggregation(), ALPHA, SHAPES);

    @Test
    void oneNodeRoundIsTheIdentity() {
        Random rnd = new Random(3);
        NodeRoundPlan plan = plan("a", 2);
        NodeAssignment sent = engine.assign(1, plan, GlobalModel.initial(HEAD));
        assertTrue(sent.adapters().isEmpty(), "round 1 sends no adapters: the node starts from B = 0");
        NodeUpdate u = update("a", 10, rnd, 2);
        RoundEngine.Outcome out = engine.aggregate(List.of(sent), List.of(u), List.of(), GlobalModel.initial(HEAD));

        assertEquals(1, out.global().roundsDone());
        for (MatrixId id : List.of(Q0, V0)) {
            PeftAdapters.Adapter own = u.adapters().get(id);
            double[] expected = dense(own.a(), own.b(), ALPHA / 2);
            assertClose(expected, dense(out.global().adapters().get(id)), 1e-6);
            // What the node gets back next round is the same update at its own rank.
            ScaledAdapter back = engine.assign(2, plan, out.global()).adapters().get(id);
            assertEquals(2, back.rank());
            assertEquals(ALPHA / 2, back.scale(), 0);
            assertClose(expected, dense(back), 1e-6);
        }
        assertEquals(HEAD.get("classifier.weight"), out.global().dense().get("classifier.weight"));
    }

    @Test
    void nanUpdateIsRejectedAndTheOthersAggregate() {
        Random rnd = new Random(5);
        GlobalModel start = GlobalModel.initial(HEAD);
        NodeUpdate good = update("a", 10, rnd, 2);
        NodeUpdate bad = update("b", 10, rnd, 2);
        PeftAdapters.Adapter q = bad.adapters().get(Q0);
        float[] poisoned = q.a().data().clone();
        poisoned[3] = Float.NaN;
        bad = new NodeUpdate("b", 10, Map.of(Q0, new PeftAdapters.Adapter(new HostTensor(q.a().shape(), poisoned), q.b()),
                V0, bad.adapters().get(V0)), bad.scales(), Map.of());
        List<NodeAssignment> sent = List.of(engine.assign(1, plan("a", 2), start), engine.assign(1, plan("b", 2), start));
        RoundEngine.Outcome out = engine.aggregate(sent, List.of(good, bad), List.of(), start);

        assertTrue(out.result().wasRejected("b", Q0.toString()), out.result().rejected().toString());
        assertTrue(out.result().rejected().get(0).reason().contains("NaN"), out.result().rejected().toString());
        assertFalse(out.result().wasRejected("a", null));
        // q is node a's alone; v averages both (equal weights).
        PeftAdapters.Adapter ga = good.adapters().get(Q0);
        assertClose(dense(ga.a(), ga.b(), ALPHA / 2), dense(out.global().adapters().get(Q0)), 1e-6);
        double[] va = dense(good.adapters().get(V0).a(), good.adapters().get(V0).b(), ALPHA / 2);
        double[] vb = dense(bad.adapters().get(V0).a(), bad.adapters().get(V0).b(), ALPHA / 2);
        double[] mean = new double[va.length];
        for (int i = 0; i < mean.length; i++) {
            mean[i] = (va[i] + vb[i]) / 2;
        }
        assertClose(mean, dense(out.global().adapters().get(V0)), 1e-6);
    }

    @Test
    void aNodeWhoseRankChangedGetsTheGlobalsLeadingDirections() {
        Random rnd = new Random(9);
        GlobalModel start = GlobalModel.initial(HEAD);
        RoundEngine.Outcome out = engine.aggregate(List.of(engine.assign(1, plan("a", 2), start)),
                List.of(update("a", 1, rnd, 2)), List.of(), start);
        NodeAssignment wider = engine.assign(2, plan("a", 3), out.global());
        ScaledAdapter q = wider.adapters().get(Q0);
        assertEquals(3, q.rank());
        assertEquals(ALPHA / 3, q.scale(), 0);
        // The global has rank 2, so the rank-3 slice is it, zero-padded: the same update.
        assertClose(dense(out.global().adapters().get(Q0)), dense(q), 1e-6);
        // Bytes: per matrix A [3, 4] + B [5, 3] = 27 floats, two matrices, plus the 8-float head.
        assertEquals(4L * (2 * 27 + 8), wider.bytes());
    }

    /**
     * The engine takes the job's round (1..n) as it is; the seeds of round r are drawn with index
     * r - 1, the numbers every run before the data plane took the job's round used.
     */
    @Test
    void roundsCountFromOneAndSeedFromZero() {
        GlobalModel start = GlobalModel.initial(HEAD);
        NodeAssignment first = engine.assign(1, plan("a", 2), start);
        assertEquals(1, first.round());
        assertEquals(0, first.seedIndex());
        assertEquals(2, NodeAssignment.seedIndex(3));
        assertThrows(IllegalArgumentException.class, () -> engine.assign(0, plan("a", 2), start));
        assertThrows(IllegalArgumentException.class, () -> engine.configure(0, List.of(plan("a", 2))));
        assertThrows(IllegalArgumentException.class, () -> NodeAssignment.seedIndex(0));
    }

    private static NodeRoundPlan plan(String node, int rank) {
        return new NodeRoundPlan(node, Map.of(Q0, rank, V0, rank), 4, 2, "fp32");
    }

    private static NodeUpdate update(String node, double weight, Random rnd, int rank) {
        Map<MatrixId, PeftAdapters.Adapter> adapters = Map.of(Q0, adapter(rnd, rank), V0, adapter(rnd, rank));
        return NodeUpdate.lora(node, weight, adapters, Map.of(Q0, ALPHA / rank, V0, ALPHA / rank));
    }

    private static PeftAdapters.Adapter adapter(Random rnd, int rank) {
        return new PeftAdapters.Adapter(gaussian(rnd, rank, 4), gaussian(rnd, 5, rank));
    }

    private static HostTensor gaussian(Random rnd, int rows, int cols) {
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) rnd.nextGaussian() * 0.3f;
        }
        return new HostTensor(new long[] {rows, cols}, d);
    }

    private static double[] dense(HostTensor a, HostTensor b, double s) {
        return Updates.dense(a, b, s);
    }

    private static double[] dense(ScaledAdapter s) {
        return Updates.dense(s);
    }

    private static void assertClose(double[] expected, double[] actual, double tolerance) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, "element " + i);
        }
    }
}
