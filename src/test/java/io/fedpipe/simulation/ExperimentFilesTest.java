package io.fedpipe.simulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every experiment file shipped in experiments/ parses (fragments without a strategy are only included). */
class ExperimentFilesTest {

    @Test
    void shippedExperimentsParse() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(Path.of("experiments"))) {
            files = s.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
        }
        int experiments = 0;
        for (Path f : files) {
            if (f.getFileName().toString().endsWith(".job.conf")) {
                // A cluster job file kept beside its simulator twin (experiments/e2e/cluster/): a job, not an experiment.
                assertTrue(io.fedpipe.job.JobSpecReader.readJob(f, "check").rounds() >= 1, f.toString());
                continue;
            }
            if (!ConfigFactory.parseFile(f.toFile()).hasPath("strategy")) {
                continue; // a fragment (common.conf, hetero.conf) that experiments include
            }
            Experiment spec = Experiment.read(f);
            assertTrue(spec.nodes().size() >= 1, f.toString());
            experiments++;
        }
        assertTrue(experiments >= 9, "the comparison's eight files and the examples: " + experiments);
        Experiment fedpipe = Experiment.read(Path.of("experiments/compare/hetero-fedpipe.conf"));
        assertEquals("hetero", fedpipe.job().setting());
        assertEquals(16, fedpipe.job().importance().matrices());
        assertEquals(240.0, fedpipe.job().maxSeconds());
        assertEquals(90.0, fedpipe.nodes().get(3).memoryMb());
    }
}
