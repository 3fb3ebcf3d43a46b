package io.fedpipe.simulation;

import io.fedpipe.round.Emulation;
import io.fedpipe.round.NodeRoundPlan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.aggregation.FedAvgFull;
import io.fedpipe.aggregation.FlexLoraSvd;
import io.fedpipe.aggregation.StrategyKind;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.job.JobSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Experiment files: a full one parses to the values written, bad ones fail with one line per mistake naming
 * file, line and key.
 */
class ExperimentTest {

    private static final String GOOD = """
            task = wordnet-topics
            limit-train = 400
            limit-validation = 100
            partition { kind = dirichlet, alpha = 0.5 }
            strategy = flexlora
            rounds = 3
            targets = [q, v]
            alpha = 8
            lr = 1e-3
            seed = 7
            nodes = [
              { name = a, rank = 8, steps = 10, batch = 16, compute-scale = 1, uplink-mbps = 100, downlink-mbps = 200 }
              { name = b, rank = 4, steps = 5, batch = 8, bits = int8, compute-scale = 0.25, uplink-mbps = 10,
                downlink-mbps = 10 }
            ]
            """;

    @TempDir
    Path dir;

    private Experiment read(String content) throws IOException {
        Path file = dir.resolve("exp.conf");
        Files.writeString(file, content);
        return Experiment.read(file);
    }

    private String error(String content) {
        String m = errors(content);
        assertFalse(m.contains("\n"), m);
        return m;
    }

    /** A file with several mistakes: one line for each, every line naming the file. */
    private String errors(String content) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(content));
        e.getMessage().lines().forEach(l -> assertTrue(l.startsWith("exp.conf:"), e.getMessage()));
        return e.getMessage();
    }

    @Test
    void goodFileGivesItsValuesAndDefaults() throws IOException {
        Experiment e = read(GOOD);
        JobSpec s = e.job();
        assertEquals("exp", s.jobId());
        assertEquals("minilm-l6", s.model());
        assertEquals(400, s.limitTrain());
        assertEquals(100, s.limitValidation());
        assertEquals(new JobSpec.Data("wordnet-topics", 400, 100, "dirichlet", 0.5), s.data());
        assertEquals(StrategyKind.FLEXLORA, s.strategyKind());
        assertTrue(s.strategyKind().create() instanceof FlexLoraSvd);
        assertEquals(3, s.rounds());
        assertEquals(EnumSet.of(LoraTarget.Q, LoraTarget.V), s.loraTargets());
        assertEquals(8f, s.alpha());
        assertEquals(1e-3f, s.lr());
        assertEquals(0, s.warmup());
        assertEquals(64, s.maxLength());
        assertEquals(7L, s.seed());
        assertEquals(2, e.nodes().size());
        SimulatedNode b = e.nodes().get(1);
        assertEquals(new SimulatedNode("b", 4, 5, 8, "int8", 0.25, 10, 10, Double.POSITIVE_INFINITY), b);
        assertEquals(new Emulation(1, 100e6, 200e6), e.nodes().get(0).emulation());
        NodeRoundPlan plan = b.plan(List.of(new MatrixId(0, LoraTarget.Q), new MatrixId(1, LoraTarget.V)));
        assertEquals(2, plan.ranks().size());
        assertEquals(4, plan.ranks().get(new MatrixId(1, LoraTarget.V)));
        assertEquals(5, plan.steps());
        assertEquals(8, plan.batchSize());
    }

    @Test
    void iidPartitionAndUnlimitedLinksByDefault() throws IOException {
        Experiment s = read("task = x\nstrategy = fedpipe\nrounds = 1\nnodes = [{name = a, rank = 2, steps = 1, batch = 1}]\n");
        assertEquals("iid", s.job().partitionKind());
        assertEquals(Double.POSITIVE_INFINITY, s.nodes().get(0).emulation().uplinkBitsPerSec());
        assertEquals("fp32", s.nodes().get(0).bits());
        assertEquals(EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.O), s.job().loraTargets());
    }

    @Test
    void fullFineTuningNeedsNoRankAndPlansNoAdapters() throws IOException {
        String ft = GOOD.replace("strategy = flexlora", "strategy = fedavg-full").replace("rank = 4, ", "")
                .replace("bits = int8", "bits = fp32");
        Experiment s = read(ft);
        assertEquals(StrategyKind.FEDAVG_FULL, s.job().strategyKind());
        assertTrue(s.job().strategyKind().fullWeights());
        assertTrue(s.job().strategyKind().create() instanceof FedAvgFull);
        assertEquals(StrategyKind.FEDAVG_FULL, read(ft.replace("fedavg-full", "ft")).job().strategyKind());
        // Node a keeps its "rank = 8" from the LoRA file: checked, then ignored.
        for (SimulatedNode n : s.nodes()) {
            assertEquals(0, n.rank(), n.name());
            NodeRoundPlan plan = n.plan(List.of(new MatrixId(0, LoraTarget.Q), new MatrixId(1, LoraTarget.V)));
            assertTrue(plan.ranks().isEmpty(), plan.toString());
            assertEquals("fp32", plan.bits());
        }
        assertFalse(StrategyKind.FEDPIPE.fullWeights());
    }

    @Test
    void fullFineTuningRefusesAQuantizedBase() {
        String m = error(GOOD.replace("strategy = flexlora", "strategy = ft"));
        assertTrue(m.startsWith("exp.conf:13:"), m);
        assertTrue(m.contains("key 'nodes[1].bits'") && m.contains("fedavg-full") && m.contains("int8"), m);
    }

    @Test
    void missingKeyIsNamed() {
        String m = error(GOOD.replace("rounds = 3\n", ""));
        assertTrue(m.contains("missing key 'rounds'"), m);
    }

    @Test
    void missingNodeKeyIsNamedWithItsNode() {
        String m = error(GOOD.replace("rank = 4, ", ""));
        assertTrue(m.startsWith("exp.conf:13:"), m);
        assertTrue(m.contains("missing key 'nodes[1].rank'"), m);
    }

    @Test
    void badStrategyNameListsTheValidOnes() {
        String m = error(GOOD.replace("flexlora", "fedsgd"));
        assertTrue(m.startsWith("exp.conf:5:"), m);
        assertTrue(m.contains("key 'strategy'") && m.contains("'fedsgd'") && m.contains("fedavg-lora")
                && m.contains("fedavg-full (or ft)"), m);
    }

    @Test
    void negativeRoundsAreRefused() {
        String m = error(GOOD.replace("rounds = 3", "rounds = -2"));
        assertTrue(m.startsWith("exp.conf:6:"), m);
        assertTrue(m.contains("key 'rounds' must be >= 1, got -2"), m);
    }

    @Test
    void otherMistakesNameTheirKey() {
        assertTrue(error(GOOD.replace("rounds = 3", "rounds = three")).contains("key 'rounds'"));
        assertTrue(error(GOOD.replace("alpha = 0.5", "alpha = 0")).contains("key 'partition.alpha' must be a positive number"));
        assertTrue(error(GOOD.replace("kind = dirichlet", "kind = zipf")).contains("key 'partition.kind'"));
        assertTrue(error(GOOD.replace("bits = int8", "bits = int3")).contains("key 'nodes[1].bits'"));
        assertTrue(error(GOOD.replace("uplink-mbps = 10,", "uplink-mbps = -10,")).contains("nodes[1].uplink-mbps"));
        assertTrue(error(GOOD.replace("name = b", "name = a")).contains("node name 'a' is used twice"));
        assertTrue(error(GOOD.replace("targets = [q, v]", "targets = [q, w]")).contains("key 'targets'"));
        assertTrue(error(GOOD.replace("seed = 7", "sed = 7")).contains("unknown key 'sed'"));
        String twoMistakes = errors(GOOD.replace("nodes = [", "nodes = [] \nx = ["));
        assertTrue(twoMistakes.contains("unknown key 'x'"), twoMistakes);
        assertTrue(twoMistakes.contains("key 'nodes': needs at least one node"), twoMistakes);
        assertTrue(error("task = [unclosed").startsWith("exp.conf:1: List should have ended"));
    }

    private static final String PLANNED = """
            task = wordnet-topics
            strategy = fedpipe
            method = fedpipe-q
            setting = hetero
            rounds = 2
            planner { device = cpu-2core, formats = "fp32,nf4", batches = [4, 8], ranks = [4, 16], min-steps = 3, max-steps = 50 }
            importance { matrices = 6, probe-steps = 4, refresh-every = 2 }
            nodes = [
              { name = a, compute-scale = 1, memory-mb = 500 }
              { name = b, compute-scale = 0.25, uplink-mbps = 10, downlink-mbps = 20, memory-mb = 90 }
            ]
            """;

    @Test
    void plannerAndImportanceBlocksParseWithTheirDefaults() throws IOException {
        Experiment s = read(PLANNED);
        assertEquals("fedpipe-q", s.job().method());
        assertEquals("hetero", s.job().setting());
        JobSpec.PlannerChoices p = s.job().planner();
        assertEquals(List.of(io.fedpipe.quant.QuantFormat.FP32, io.fedpipe.quant.QuantFormat.NF4), p.quantFormats());
        assertEquals(List.of(4, 8), p.batches());
        assertEquals(List.of(4, 16), p.ranks());
        assertEquals(3, p.minSteps());
        assertEquals(50, p.maxSteps());
        assertEquals(0.1, p.idleTolerance());
        assertEquals(3.0, p.roundStretch());
        assertEquals(new JobSpec.ImportanceStage(6, 4, 4, 2), s.job().importance());
        assertEquals(90.0, s.nodes().get(1).memoryMb());
        assertEquals(0, s.nodes().get(1).rank(), "the planner decides the rank");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> s.nodes().get(0).plan(List.of(new MatrixId(0, LoraTarget.Q))));
        assertTrue(e.getMessage().contains("planner decides"), e.getMessage());
        assertEquals("flexlora", read(GOOD).job().method(), "the method defaults to the strategy");
    }

    @Test
    void plannedFilesRefuseFixedPlansAndBadChoices() {
        assertTrue(error(PLANNED.replace("name = a,", "name = a, rank = 8,"))
                .contains("key 'nodes[0].rank' is decided by the planner"));
        assertTrue(error(PLANNED.replace("device = cpu-2core", "device = h100"))
                .contains("key 'planner.device': unknown device preset 'h100'"));
        assertTrue(error(PLANNED.replace("batches = [4, 8]", "batches = [4, 0]"))
                .contains("key 'planner.batches' must be a non-empty list of positive integers"));
        assertTrue(error(PLANNED.replace("max-steps = 50", "max-steps = 2"))
                .contains("key 'planner.max-steps' must be >= 3"));
        assertTrue(error(PLANNED.replace("matrices = 6", "matrices = 0")).contains("key 'importance.matrices'"));
        assertTrue(error(PLANNED.replace("probe-steps", "probe-stepz")).contains("unknown key 'importance.probe-stepz'"));
        assertTrue(error(PLANNED.replace("memory-mb = 90", "memory-mb = -1")).contains("nodes[1].memory-mb"));
        String noPlanner = PLANNED.replaceAll("planner \\{[^\n]*\n", "");
        // Without a planner the nodes also lack their fixed plans: every one of those is reported too.
        assertTrue(errors(noPlanner).contains("key 'importance' needs a 'planner' block"));
    }
}
