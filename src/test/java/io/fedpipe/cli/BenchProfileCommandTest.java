package io.fedpipe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.profile.ProfilePoint;
import io.fedpipe.quant.QuantFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The profile benchmark's grids and argument checks; the profile itself is run by hand (BENCHMARKS.md). */
class BenchProfileCommandTest {

    @Test
    void validationGridIsDisjointFromTheFittingGridAndCoversEveryFormat() {
        List<ProfilePoint> fit = ProfileBench.fittingGrid();
        List<ProfilePoint> held = ProfileBench.validationGrid();
        assertEquals(18, fit.size());
        assertTrue(held.size() >= 4);
        Set<ProfilePoint> overlap = new HashSet<>(fit);
        overlap.retainAll(held);
        assertEquals(Set.of(), overlap);
        assertEquals(Set.of(QuantFormat.FP32, QuantFormat.INT8, QuantFormat.NF4),
                Set.copyOf(held.stream().map(ProfilePoint::format).toList()));
    }

    @Test
    void profileRunsAtOneThreadCount() {
        CliRun r = CliRun.of("bench", "profile", "--threads", "1,2");
        assertEquals(CliErrors.INPUT, r.exitCode());
        assertEquals(List.of("fedpipe: bench profile runs at one thread count, got --threads [1, 2]"), r.errLines());
    }

    @Test
    void unknownBenchmarkNamesBoth() {
        CliRun r = CliRun.of("bench", "profiles");
        assertEquals(List.of("fedpipe: unknown benchmark 'profiles'; available: step, profile, memory, cluster"), r.errLines());
    }
}
