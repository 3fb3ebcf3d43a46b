package io.fedpipe.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClassificationMetricsTest {

    // Worked on paper. Confusion (rows gold, columns predicted):
    //   gold 0: [2, 1, 1]   gold 1: [1, 2, 0]   gold 2: [0, 1, 2]
    private static final int[] GOLD = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2};
    private static final int[] PREDICTED = {0, 0, 1, 2, 1, 1, 0, 2, 2, 1};

    @Test
    void threeClassExampleMatchesHandComputation() {
        ClassificationMetrics metrics = ClassificationMetrics.compute(PREDICTED, GOLD, 3);

        assertArrayEquals(new long[][] {{2, 1, 1}, {1, 2, 0}, {0, 1, 2}}, metrics.confusionMatrix());
        assertEquals(0.6, metrics.accuracy(), 1e-15);
        // Class 0: TP 2, FP 1, FN 2 -> 4/7. Class 1: TP 2, FP 2, FN 1 -> 4/7. Class 2: TP 2, FP 1, FN 1 -> 2/3.
        assertEquals(1, metrics.falsePositives(0));
        assertEquals(2, metrics.falseNegatives(0));
        assertEquals(2, metrics.falsePositives(1));
        assertEquals(4.0 / 7, metrics.f1(0), 1e-15);
        assertEquals(4.0 / 7, metrics.f1(1), 1e-15);
        assertEquals(2.0 / 3, metrics.f1(2), 1e-15);
        // (4/7 + 4/7 + 2/3) / 3 = 38/63.
        assertEquals(38.0 / 63, metrics.macroF1(), 1e-15);
        assertEquals(4, metrics.support(0));
    }

    @Test
    void classAbsentFromGoldAndPredictionsIsLeftOutOfMacroF1() {
        ClassificationMetrics metrics = ClassificationMetrics.compute(PREDICTED, GOLD, 5);

        assertFalse(metrics.present(3));
        assertTrue(Double.isNaN(metrics.f1(4)));
        assertEquals(38.0 / 63, metrics.macroF1(), 1e-15);
    }

    @Test
    void classOnlyPredictedCountsAsZeroLikeScikitLearn() {
        // sklearn: f1_score([0, 0], [0, 1], average="macro") == 1/3 (class 0: 2/3, class 1: 0).
        ClassificationMetrics metrics = ClassificationMetrics.compute(new int[] {0, 1}, new int[] {0, 0}, 3);

        assertEquals(2.0 / 3, metrics.f1(0), 1e-15);
        assertEquals(0.0, metrics.f1(1), 1e-15);
        assertEquals(1.0 / 3, metrics.macroF1(), 1e-15);
        assertEquals(0.5, metrics.accuracy(), 1e-15);
    }

    @Test
    void majorityClassFractionOfHandExample() {
        assertEquals(0.4, ClassificationMetrics.majorityClassFraction(GOLD, 3), 1e-15);
    }

    @Test
    void tableListsPresentClasses() {
        String table = ClassificationMetrics.compute(PREDICTED, GOLD, 4).toTable(List.of("a", "b", "c", "d"));
        String nl = System.lineSeparator();

        assertEquals("label   support      F1" + nl
                + "a             4  0.5714" + nl
                + "b             3  0.5714" + nl
                + "c             3  0.6667" + nl
                + "accuracy 0.6000  macro-F1 0.6032  (n=10)" + nl, table);
    }

    @Test
    void rejectsMismatchedOrOutOfRangeInput() {
        assertEquals("3 predictions for 2 gold labels", assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(new int[3], new int[2], 2)).getMessage());
        assertEquals("predicted label of example 1 is 2, outside [0, 2)", assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(new int[] {0, 2}, new int[] {0, 1}, 2)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.compute(new int[0], new int[0], 2));
    }
}
