package io.fedpipe.model;

import io.fedpipe.core.FrozenWeightFactory;
import io.fedpipe.core.TransformerConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.model.onnx.OnnxReference;
import org.junit.jupiter.api.Test;

/** Our DJL encoder with the imported weights against ONNX Runtime running the original graph. */
class MiniLmParityTest {

    @Test
    void djlEncoderMatchesOnnxRuntimeOnTheOriginalGraph() throws Exception {
        EngineSetup.start(2);
        // "hello world" (padded), "the cat sat on the mat." (padded), and a sentence pair.
        long[][] ids = {
            {101, 7592, 2088, 102, 0, 0, 0, 0, 0, 0, 0, 0},
            {101, 1996, 4937, 2938, 2006, 1996, 13523, 1012, 102, 0, 0, 0},
            {101, 7592, 2088, 102, 1996, 4937, 2938, 2006, 1996, 13523, 1012, 102},
        };
        long[][] mask = new long[3][12];
        long[][] types = new long[3][12];
        int[] lengths = {4, 9, 12};
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < lengths[i]; j++) {
                mask[i][j] = 1;
            }
        }
        for (int j = 4; j < 12; j++) {
            types[2][j] = 1;
        }
        float[][][] expected;
        try (OnnxReference ort = OnnxReference.open()) {
            expected = ort.lastHiddenState(ids, mask, types);
        }
        TransformerWeights weights = PretrainedModels.miniLmL6();
        assertEquals(TransformerConfig.miniLmL6(), weights.config());
        try (NDManager m = NDManager.newBaseManager();
                TransformerModel enc = TransformerModel.create(m, weights, null, FrozenWeightFactory.dense(), 0)) {
            NDArray idArr = m.create(flat(ids), new Shape(3, 12));
            NDArray typeArr = m.create(flat(types), new Shape(3, 12));
            NDArray maskArr = m.create(flat(mask), new Shape(3, 12));
            float[] got = enc.forward(idArr, typeArr, TransformerModel.paddingMask(maskArr), null, false).toFloatArray();
            double maxDiff = 0;
            double maxAbs = 0;
            for (int b = 0; b < 3; b++) {
                for (int t = 0; t < lengths[b]; t++) {
                    for (int h = 0; h < 384; h++) {
                        double e = expected[b][t][h];
                        maxDiff = Math.max(maxDiff, Math.abs(e - got[(b * 12 + t) * 384 + h]));
                        maxAbs = Math.max(maxAbs, Math.abs(e));
                    }
                }
            }
            assertTrue(maxAbs > 0.5, "reference output looks degenerate: " + maxAbs);
            System.out.println("MiniLM parity max abs diff " + maxDiff);
            assertTrue(maxDiff < 1e-4, "max abs difference of last_hidden_state vs ONNX Runtime: " + maxDiff);
        }
    }

    private static long[] flat(long[][] a) {
        long[] out = new long[a.length * a[0].length];
        for (int i = 0; i < a.length; i++) {
            System.arraycopy(a[i], 0, out, i * a[0].length, a[0].length);
        }
        return out;
    }
}
