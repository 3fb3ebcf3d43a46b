package io.fedpipe.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.core.LoraTarget;
import io.fedpipe.planning.CostModel;
import io.fedpipe.planning.ModelShape;
import io.fedpipe.quant.QuantFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

class FittedCostModelTest {

    private static final ModelShape SHAPE = ModelShape.preset("minilm-l6");
    private static final Set<LoraTarget> QKVO = Set.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O);
    private static final int SEQ = 64;

    private static double flops(int batch, int rank) {
        return CostModel.stepFlops(SHAPE, QKVO, rank, batch, SEQ);
    }

    private static NodeProfile.StepTiming timing(QuantFormat f, int batch, int rank, double seconds) {
        return new NodeProfile.StepTiming(f, batch, rank, flops(batch, rank), List.of(seconds));
    }

    /** Timings of the given formats on batches 2, 6, 12 × ranks 4, 16, exactly as {@code truth} says. */
    private static NodeProfile synthetic(List<QuantFormat> formats, List<ToDoubleFunction<ProfilePoint>> truth) {
        List<NodeProfile.StepTiming> timings = new ArrayList<>();
        for (int i = 0; i < formats.size(); i++) {
            for (int rank : List.of(4, 16)) {
                for (int batch : List.of(2, 6, 12)) {
                    ProfilePoint p = new ProfilePoint(formats.get(i), batch, rank);
                    timings.add(timing(p.format(), batch, rank, truth.get(i).applyAsDouble(p)));
                }
            }
        }
        return new NodeProfile("minilm-l6", SEQ, 1, QKVO, timings, List.of());
    }

    @Test
    void flopsFormRecoversKnownCoefficientsPerFormat() {
        // fp32: 50 ms fixed + 1 / (50 GFLOP/s); nf4: 400 ms fixed + 1 / (12.5 GFLOP/s).
        NodeProfile p = synthetic(List.of(QuantFormat.FP32, QuantFormat.NF4), List.of(
                q -> 0.05 + 2e-11 * flops(q.batch(), q.rank()),
                q -> 0.40 + 8e-11 * flops(q.batch(), q.rank())));
        FittedCostModel m = FittedCostModel.fit(p, SHAPE, FittedCostModel.Form.FLOPS);
        double[] fp32 = m.coefficients(QuantFormat.FP32);
        double[] nf4 = m.coefficients(QuantFormat.NF4);
        assertEquals(0.05, fp32[0], 1e-6 * 0.05);
        assertEquals(2e-11, fp32[1], 1e-6 * 2e-11);
        assertEquals(0.40, nf4[0], 1e-6 * 0.40);
        assertEquals(8e-11, nf4[1], 1e-6 * 8e-11);
        // An unprofiled configuration: 0.05 + 2e-11 · FLOPs(10, 8).
        assertEquals(0.05 + 2e-11 * flops(10, 8), m.predictSeconds(QuantFormat.FP32, 10, 8), 1e-9);
        assertEquals(List.of(QuantFormat.FP32, QuantFormat.NF4), m.formats());
    }

    @Test
    void tokensRankFormRecoversKnownCoefficients() {
        // t = 0.1 + 5e-4·bT + 2e-5·bT·r
        NodeProfile p = synthetic(List.of(QuantFormat.INT8),
                List.of(q -> 0.1 + 5e-4 * q.batch() * SEQ + 2e-5 * q.batch() * SEQ * q.rank()));
        double[] c = FittedCostModel.fit(p, SHAPE, FittedCostModel.Form.TOKENS_RANK).coefficients(QuantFormat.INT8);
        assertEquals(0.1, c[0], 1e-6 * 0.1);
        assertEquals(5e-4, c[1], 1e-6 * 5e-4);
        assertEquals(2e-5, c[2], 1e-6 * 2e-5);
    }

    @Test
    void validationErrorsAreRelativeToTheMeasurement() {
        NodeProfile p = synthetic(List.of(QuantFormat.FP32), List.of(q -> 0.05 + 2e-11 * flops(q.batch(), q.rank())));
        FittedCostModel m = FittedCostModel.fit(p, SHAPE, FittedCostModel.Form.FLOPS);
        double truth48 = 0.05 + 2e-11 * flops(4, 8);
        double truth812 = 0.05 + 2e-11 * flops(8, 12);
        // Measured 1.25× and 0.8× the model: predicted is 20% low, then 25% high.
        FittedCostModel.Validation v = m.validate(List.of(timing(QuantFormat.FP32, 4, 8, 1.25 * truth48),
                timing(QuantFormat.FP32, 8, 12, 0.8 * truth812)));
        assertEquals(-20.0, v.rows().get(0).errorPercent(), 1e-6);
        assertEquals(25.0, v.rows().get(1).errorPercent(), 1e-6);
        assertEquals(25.0, v.maxAbsErrorPercent(), 1e-6);
        assertEquals(1.25 * truth48, v.rows().get(0).measuredSeconds(), 1e-12);
        assertEquals(new ProfilePoint(QuantFormat.FP32, 8, 12), v.rows().get(1).point());
    }

    @Test
    void medianOfTimedStepsIgnoresOneOutlier() {
        var t = new NodeProfile.StepTiming(QuantFormat.FP32, 2, 4, 1, List.of(0.30, 0.10, 0.90, 0.20));
        assertEquals(0.25, t.medianSeconds(), 1e-12);
        var odd = new NodeProfile.StepTiming(QuantFormat.FP32, 2, 4, 1, List.of(0.30, 5.0, 0.10));
        assertEquals(0.30, odd.medianSeconds(), 1e-12);
    }

    @Test
    void tooFewMeasurementsAndUnprofiledFormatsAreRefused() {
        NodeProfile one = new NodeProfile("minilm-l6", SEQ, 1, QKVO, List.of(timing(QuantFormat.FP32, 2, 4, 0.1)), List.of());
        var e = assertThrows(IllegalArgumentException.class,
                () -> FittedCostModel.fit(one, SHAPE, FittedCostModel.Form.FLOPS));
        assertTrue(e.getMessage().contains("needs at least 2 measurements, got 1"), e.getMessage());
        NodeProfile p = synthetic(List.of(QuantFormat.FP32), List.of(q -> 0.05 + 2e-11 * flops(q.batch(), q.rank())));
        FittedCostModel m = FittedCostModel.fit(p, SHAPE, FittedCostModel.Form.FLOPS);
        var e2 = assertThrows(IllegalArgumentException.class, () -> m.predictSeconds(QuantFormat.NF4, 2, 4));
        assertEquals("no step times were profiled for nf4", e2.getMessage());
    }

    @Test
    void measuredDeviceRecoversThePlannersFormAndPlansWithIt() {
        // Planner form t = k_f · FLOPs · (1 + h / (b·T)) with h = 300 tokens, fp32 at 40 GFLOP/s, int8 1.5× slower.
        double h = 300;
        double k = 1 / 40e9;
        NodeProfile p = synthetic(List.of(QuantFormat.FP32, QuantFormat.INT8), List.of(
                q -> k * flops(q.batch(), q.rank()) * (1 + h / (q.batch() * SEQ)),
                q -> 1.5 * k * flops(q.batch(), q.rank()) * (1 + h / (q.batch() * SEQ))));
        MeasuredDevice d = MeasuredDevice.fit("node-a", p, SHAPE, 8_000_000_000L);
        assertEquals(h, d.halfUtilizationTokens(), 1e-3 * h);
        assertEquals(0.040, d.preset().fp32Tflops(), 1e-4 * 0.040);
        assertEquals(1.5, d.preset().slowdown().get(QuantFormat.INT8), 1e-4);
        assertEquals(1.0, d.preset().slowdown().get(QuantFormat.FP32), 1e-12);
        // Unprofiled formats take the slowest measured factor.
        assertEquals(d.preset().slowdown().get(QuantFormat.INT8), d.preset().slowdown().get(QuantFormat.NF4), 1e-12);
        assertEquals(8_000_000_000L, d.preset().memoryBytes());
        double truth = 1.5 * k * flops(10, 8) * (1 + h / (10 * SEQ));
        var v = d.validate(SHAPE, p, List.of(timing(QuantFormat.INT8, 10, 8, truth)));
        assertEquals(0, v.maxAbsErrorPercent(), 0.05);
    }
}
