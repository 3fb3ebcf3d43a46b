package io.fedpipe.simulation;

import io.fedpipe.round.VirtualClock;
import io.fedpipe.round.Emulation;
import io.fedpipe.round.LocalResult;
import io.fedpipe.round.NodeRoundPlan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.aggregation.FedPipeAggregation;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.core.HostTensor;
import io.fedpipe.runtime.OneIntraOpThread;
import io.fedpipe.train.ThreeTopicTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Federated LoRA fine-tuning of the real all-MiniLM-L6-v2 on the easy three-topic task, in one JVM:
 * 3 IID nodes, rank 4 on q and v, 2 rounds of 8 steps. The third node is poisoned in round 2 (a NaN
 * in one adapter) and must be rejected, and a fourth node crashes every round; neither stops the round.
 */
@ExtendWith(OneIntraOpThread.class)
class InProcessSimulatorTest {

    private static final float ALPHA = 8;
    private static final int RANK = 4;
    private static final int STEPS = 8;
    private static final int BATCH = 16;
    private static final MatrixId POISONED = new MatrixId(2, LoraTarget.V);

    @TempDir
    static Path dir;

    @Test
    void threeNodesLearnTheTaskAndAPoisonedNodeIsRejected() throws IOException {
        Map<MatrixId, Integer> ranks = new TreeMap<>();
        for (int layer = 0; layer < 6; layer++) {
            ranks.put(new MatrixId(layer, LoraTarget.Q), RANK);
            ranks.put(new MatrixId(layer, LoraTarget.V), RANK);
        }
        List<NodeRoundPlan> plans = List.of("a", "b", "c", "d").stream()
                .map(id -> new NodeRoundPlan(id, ranks, STEPS, BATCH, "fp32")).toList();
        List<String> ids = List.of("a", "b", "c");

        long t0 = System.nanoTime();
        List<RoundReport> reports = ReferenceSimulation.of(ThreeTopicTask.write(dir.resolve("task"), 120, 30, 7).toString(), 7)
                .shards(3)
                // Node c is four times slower, on a 10 Mbit/s link; a and b run at full speed with no link cost.
                .node("a", 0, Emulation.NONE).node("b", 1, Emulation.NONE).node("c", 2, Emulation.of(0.25, 10))
                // Node d crashes every round: a failure, not a reason to stop the round.
                .node("d", 2, Emulation.NONE)
                .strategy(new FedPipeAggregation()).targets(EnumSet.of(LoraTarget.Q, LoraTarget.V))
                .alpha(ALPHA).lr(5e-3f).warmup(2).maxLength(32).modelSeed(11)
                .localRound(honest -> (assignment, data) -> {
                    if (assignment.nodeId().equals("d")) {
                        throw new IllegalStateException("node d lost its device");
                    }
                    LocalResult r = honest.run(assignment, data);
                    return assignment.round() == 2 && assignment.nodeId().equals("c") ? poisoned(r) : r;
                })
                .run(2, plans).reports();
        double seconds = (System.nanoTime() - t0) / 1e9;
        for (RoundReport r : reports) {
            System.out.printf("round %d: accuracy %.3f, macro-F1 %.3f, %s %.2f s (round %.2f s), nodes %s%n", r.round(),
                    r.accuracy(), r.macroF1(), VirtualClock.LABEL, r.emulatedElapsedSeconds(), r.emulatedRoundSeconds(),
                    r.nodes());
        }
        System.out.printf("simulation wall time %.1f s%n", seconds);

        assertEquals(3, reports.size());
        RoundReport start = reports.get(0);
        RoundReport last = reports.get(2);
        assertTrue(last.accuracy() >= 0.8, "accuracy after 2 rounds: " + last.accuracy());
        assertTrue(last.accuracy() > start.accuracy(), last.accuracy() + " vs untrained " + start.accuracy());

        // Round 1 clean; round 2 rejects exactly node c's poisoned matrix, nothing of a or b.
        assertTrue(reports.get(1).rejected().isEmpty(), reports.get(1).rejected().toString());
        assertEquals(1, last.rejected().size(), last.rejected().toString());
        assertEquals("c", last.rejected().get(0).nodeId());
        assertEquals(POISONED.toString(), last.rejected().get(0).item());
        assertTrue(last.rejected().get(0).reason().contains("NaN"), last.rejected().get(0).reason());
        for (RoundReport r : reports.subList(1, 3)) {
            assertEquals(1, r.failures().size(), r.failures().toString());
            assertEquals("d", r.failures().get(0).nodeId());
            assertTrue(r.failures().get(0).reason().contains("lost its device"), r.failures().get(0).reason());
            assertEquals(0, r.nodes().get("d").bytesUp());
        }

        // Traffic: 12 matrices × (A [4, 384] + B [384, 4]) + head [3, 384] + [3] = 38,019 floats each way.
        long floats = 12L * 2 * RANK * 384 + 3 * 384 + 3;
        for (String id : ids) {
            assertEquals(4 * floats, last.nodes().get(id).bytesUp(), id);
            assertEquals(4 * floats, last.nodes().get(id).bytesDown(), id);
        }
        // Round 0 sends no adapters, only the head.
        assertEquals(4L * (3 * 384 + 3), reports.get(1).nodes().get("a").bytesDown());
        // Node c's emulated time: 4 × its measured compute + 2 · 152,076 B · 8 / 10 Mbit/s.
        RoundReport.NodeReport c = last.nodes().get("c");
        assertEquals(4 * c.measuredComputeSeconds() + 2 * 4 * floats * 8 / 10e6, c.emulatedSeconds(), 1e-9);
        assertEquals(c.emulatedSeconds(), last.emulatedRoundSeconds(), 1e-12, "the slowest node sets the round");
        assertEquals(reports.get(1).emulatedRoundSeconds() + last.emulatedRoundSeconds(), last.emulatedElapsedSeconds(),
                1e-9);
        assertFalse(Double.isNaN(last.nodes().get("a").lastLoss()));
    }

    private static LocalResult poisoned(LocalResult r) {
        NodeUpdate u = r.update();
        Map<MatrixId, PeftAdapters.Adapter> adapters = new TreeMap<>(u.adapters());
        PeftAdapters.Adapter v = adapters.get(POISONED);
        float[] a = v.a().data().clone();
        a[0] = Float.NaN;
        adapters.put(POISONED, new PeftAdapters.Adapter(new HostTensor(v.a().shape(), a), v.b()));
        return new LocalResult(new NodeUpdate(u.nodeId(), u.weight(), adapters, u.scales(), u.dense()),
                r.computeSeconds(), r.firstLoss(), r.lastLoss(), r.skippedSteps());
    }
}
