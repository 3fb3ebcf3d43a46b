package io.fedpipe.importance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.aggregation.MatrixShape;
import io.fedpipe.importance.ImportanceSelection.Budget;
import io.fedpipe.importance.ImportanceSelection.NodeScores;
import io.fedpipe.importance.ImportanceSelection.Ranked;
import io.fedpipe.importance.ImportanceSelection.Result;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ImportanceSelectionTest {

    private static final MatrixId Q0 = new MatrixId(0, LoraTarget.Q);
    private static final MatrixId V0 = new MatrixId(0, LoraTarget.V);
    private static final MatrixId Q1 = new MatrixId(1, LoraTarget.Q);

    /** a: |D| = 100, ŝ = {0.q .75, 0.v .25}; b: |D| = 300, ŝ = {0.q .1, 0.v .3, 1.q .6}; w = .25, .75. */
    private static List<NodeScores> twoNodes(double bScale) {
        return List.of(new NodeScores("a", 100, Map.of(Q0, 3.0, V0, 1.0)),
                new NodeScores("b", 300, Map.of(Q0, 10 * bScale, V0, 30 * bScale, Q1, 60 * bScale)));
    }

    @Test
    void combinesNormalisedScoresWeightedByDataSize() {
        List<Ranked> r = ImportanceSelection.rank(twoNodes(1));
        assertEquals(List.of(Q1, V0, Q0), r.stream().map(Ranked::id).toList());
        // 1.q only scored by b: mean over the nodes that scored it = .75·.6 / .75.
        assertEquals(0.6, r.get(0).score(), 1e-12);
        assertEquals(0.25 * 0.25 + 0.75 * 0.3, r.get(1).score(), 1e-12); // .2875
        assertEquals(0.25 * 0.75 + 0.75 * 0.1, r.get(2).score(), 1e-12); // .2625
    }

    @Test
    void aNodesLossScaleDoesNotMatter() {
        List<Ranked> base = ImportanceSelection.rank(twoNodes(1));
        List<Ranked> scaled = ImportanceSelection.rank(twoNodes(1e6));
        for (int i = 0; i < base.size(); i++) {
            assertEquals(base.get(i).id(), scaled.get(i).id());
            assertEquals(base.get(i).score(), scaled.get(i).score(), 1e-12);
        }
    }

    @Test
    void tiesFollowMatrixOrder() {
        MatrixId k2 = new MatrixId(2, LoraTarget.K);
        MatrixId o0 = new MatrixId(0, LoraTarget.O);
        List<Ranked> r = ImportanceSelection.rank(List.of(new NodeScores("a", 1, Map.of(k2, 1.0, Q1, 1.0, o0, 1.0))));
        assertEquals(List.of(o0, Q1, k2), r.stream().map(Ranked::id).toList());
    }

    @Test
    void matrixBudgetTakesTheTop() {
        Result res = ImportanceSelection.select(twoNodes(1), new Budget.Matrices(2));
        assertEquals(List.of(Q1, V0), res.selected().stream().map(Ranked::id).toList());
        assertEquals(Set.of(Q1, V0), res.selectedIds());
        assertEquals(3, res.ranking().size());
        assertEquals(3, ImportanceSelection.select(twoNodes(1), new Budget.Matrices(10)).selected().size());
    }

    @Test
    void parameterBudgetSkipsWhatNoLongerFits() {
        Map<MatrixId, MatrixShape> shapes = new HashMap<>();
        shapes.put(Q0, new MatrixShape(64, 64)); // rank 2: 256
        shapes.put(V0, new MatrixShape(128, 64)); // 384
        shapes.put(Q1, new MatrixShape(64, 64)); // 256
        Result res = ImportanceSelection.select(twoNodes(1), new Budget.Parameters(600, 2, shapes));
        // 1.q (256) fits, 0.v would make 640 > 600, 0.q makes 512.
        assertEquals(List.of(Q1, Q0), res.selected().stream().map(Ranked::id).toList());
        assertEquals(512, res.parameters());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> ImportanceSelection.select(twoNodes(1), new Budget.Parameters(100, 2, shapes)));
        assertEquals("parameter budget 100 fits no matrix: the smallest needs 256 at rank 2", none.getMessage());
        shapes.remove(V0);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> ImportanceSelection.select(twoNodes(1), new Budget.Parameters(600, 2, shapes)));
        assertEquals("no shape for matrix 0.v in the parameter budget", missing.getMessage());
    }

    @Test
    void badScoresNameTheNodeAndMatrix() {
        for (double bad : new double[] {Double.NaN, -1, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new NodeScores("edge-7", 10, Map.of(Q0, 1.0, V0, bad)));
            assertEquals("node edge-7 scored matrix 0.v " + bad + "; scores must be finite and >= 0", e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new NodeScores("z", 10, Map.of(Q0, 0.0)))
                .getMessage().contains("node z scored every matrix 0"));
        assertThrows(IllegalArgumentException.class, () -> new NodeScores("z", 0, Map.of(Q0, 1.0)));
        assertThrows(IllegalArgumentException.class, () -> new NodeScores("z", 5, Map.of()));
        assertEquals("no node scores to combine",
                assertThrows(IllegalArgumentException.class, () -> ImportanceSelection.rank(List.of())).getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImportanceSelection.rank(
                List.of(new NodeScores("a", 1, Map.of(Q0, 1.0)), new NodeScores("a", 2, Map.of(Q0, 1.0)))));
        assertThrows(IllegalArgumentException.class, () -> new Budget.Matrices(0));
        assertThrows(IllegalArgumentException.class, () -> new Budget.Parameters(10, 0, Map.of(Q0, new MatrixShape(1, 1))));
    }
}
