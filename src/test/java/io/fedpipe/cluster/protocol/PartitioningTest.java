package io.fedpipe.cluster.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.cluster.WireSamples;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.core.HostTensor;
import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.NodeRoundPlan;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Restrict, split and merge over partitions, on hand-picked matrices. */
class PartitioningTest {

    // partitionOf = (31·layer + ordinal) mod 2: 0.q → 0, 0.k → 1, 1.q → 1, 1.k → 0.
    private static final MatrixId Q0 = new MatrixId(0, LoraTarget.Q);
    private static final MatrixId K0 = new MatrixId(0, LoraTarget.K);
    private static final MatrixId Q1 = new MatrixId(1, LoraTarget.Q);
    private static final MatrixId K1 = new MatrixId(1, LoraTarget.K);

    @Test
    void matricesAreSpreadAsPartitionOfSays() {
        assertEquals(List.of(0, 1, 1, 0),
                List.of(Q0, K0, Q1, K1).stream().map(id -> JobProtocol.partitionOf(id, 2)).toList());
        NodeRoundPlan plan = new NodeRoundPlan("a", Map.of(Q0, 4, K0, 2, Q1, 8, K1, 4), 5, 8, "nf4");
        NodeRoundPlan p1 = Partitioning.restrict(plan, 1, 2);
        assertEquals(Map.of(K0, 2, Q1, 8), p1.ranks());
        assertEquals(List.of(5, 8, "nf4"), List.of(p1.steps(), p1.batchSize(), p1.bits()));
    }

    @Test
    void splitKeepsTheWeightAndPutsTheHeadInPartitionZero() {
        HostTensor head = WireSamples.tensor(3, 2, 4);
        NodeUpdate u = new NodeUpdate("a", 120, Map.of(Q0, WireSamples.adapter(1, 2, 4, 4), Q1,
                WireSamples.adapter(2, 2, 4, 4)), Map.of(Q0, 8f, Q1, 8f), Map.of("classifier.weight", head));
        List<NodeUpdate> parts = Partitioning.split(u, 2);
        assertEquals(Map.of(Q0, u.adapters().get(Q0)), parts.get(0).adapters());
        assertEquals(Map.of(Q1, u.adapters().get(Q1)), parts.get(1).adapters());
        assertEquals(Map.of(Q1, 8f), parts.get(1).scales());
        assertEquals(Map.of("classifier.weight", head), parts.get(0).dense());
        assertTrue(parts.get(1).dense().isEmpty());
        assertEquals(120, parts.get(1).weight());
    }

    @Test
    void mergeTakesEachMatrixFromItsOwnerAndRefusesAForeignAdapter() {
        NodeRoundPlan plan = new NodeRoundPlan("a", Map.of(Q0, 2, Q1, 2), 3, 4, "fp32");
        ScaledAdapter a0 = new ScaledAdapter(WireSamples.adapter(1, 2, 4, 4), 4f);
        ScaledAdapter a1 = new ScaledAdapter(WireSamples.adapter(2, 2, 4, 4), 4f);
        HostTensor bias = WireSamples.tensor(5, 3);
        NodeAssignment s0 = new NodeAssignment(1, plan, Map.of(Q0, a0), Map.of("classifier.bias", bias));
        NodeAssignment s1 = new NodeAssignment(1, plan, Map.of(Q1, a1), Map.of());
        NodeAssignment merged = Partitioning.merge(List.of(s0, s1));
        assertEquals(Map.of(Q0, a0, Q1, a1), merged.adapters());
        assertEquals(plan.ranks(), merged.plan().ranks());
        assertEquals(Map.of("classifier.bias", bias), merged.dense());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Partitioning.merge(List.of(s1, s0)));
        assertEquals("partition 0 sent an adapter for 1.q, which partition 1 owns", e.getMessage());
        NodeAssignment later = new NodeAssignment(2, plan, Map.of(Q1, a1), Map.of());
        assertThrows(IllegalArgumentException.class, () -> Partitioning.merge(List.of(s0, later)));
    }
}
