package io.fedpipe.cluster.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fedpipe.job.JobSpec;
import io.fedpipe.job.JobSpecReader;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Job files: the example parses to the documented values; each bad input is one line naming file, line and key. */
class JobFileTest {

    private static final String BASE = String.join("\n",
            "model = minilm-l6",
            "task = wordnet-topics",
            "strategy = fedpipe",
            "rounds = 3");

    @Test
    void theExampleJobParses() throws Exception {
        JobSpec j = JobSpecReader.readJob(Path.of("jobs/wordnet-fedpipe.conf"), "j-1");
        assertEquals("j-1", j.jobId());
        assertEquals(List.of("minilm-l6", "wordnet-topics", "dirichlet", "fedpipe"),
                List.of(j.model(), j.task(), j.partitionKind(), j.strategy()));
        assertEquals(List.of(2000, 500, 5, 2, 16, 10, 5, 40),
                List.of(j.limitTrain(), j.limitValidation(), j.rounds(), j.partitions(), j.importanceMatrices(),
                        j.probeSteps(), j.minSteps(), j.maxSteps()));
        assertEquals(0.5, j.dirichletAlpha());
        assertEquals(0.75, j.quorum());
        assertEquals(600_000L, j.roundTimeoutMs());
        assertEquals(List.of("fp32", "int8", "nf4"), j.formats());
        assertEquals(List.of(8, 16), j.batches());
        assertEquals(List.of(4, 8, 16), j.ranks());
        assertEquals(List.of("q", "k", "v", "o"), j.targets());
    }

    @Test
    void everyShippedJobFileParses() throws Exception {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(Path.of("jobs"))) {
            List<Path> jobs = files.filter(f -> f.toString().endsWith(".conf")).sorted().toList();
            assertEquals(List.of("demo-wordnet.conf", "demo.conf", "wordnet-fedpipe.conf"), jobs.stream().map(f -> f.getFileName().toString()).toList());
            for (Path f : jobs) {
                assertEquals("j", JobSpecReader.readJob(f, "j").jobId(), f.toString());
            }
        }
    }

    @Test
    void defaultsApplyToAMinimalFile() {
        JobSpec j = JobSpecReader.parseJob(BASE, "min.conf", "j");
        assertEquals(List.of(1, 0, 10, 200), List.of(j.partitions(), j.importanceMatrices(), j.minSteps(), j.maxSteps()));
        assertEquals(1.0, j.quorum());
        assertEquals("iid", j.partitionKind());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "model = /nowhere/model|job.conf:5: key 'model' must be minilm-l6, fedpipe-lm-small or a model directory with config.json, got '/nowhere/model'",
        "strategy = fedsgd|job.conf:5: key 'strategy': unknown strategy 'fedsgd'; valid: fedpipe, flexlora, hetlora, fedavg-lora, raflora, florist",
        "strategy = fedavg-full|job.conf:5: key 'strategy': unknown strategy 'fedavg-full'; valid: fedpipe, flexlora, hetlora, fedavg-lora, raflora, florist",
        "rounds = 0|job.conf:5: key 'rounds' must be >= 1, got 0",
        "quorum = 1.5|job.conf:5: key 'quorum' must be in (0, 1], got 1.5",
        "partitions = 0|job.conf:5: key 'partitions' must be >= 1, got 0",
        "round-timeout = soon|job.conf:5: key 'round-timeout' must be a duration such as 120s or 10m, got 'soon'",
        "task = ../etc|job.conf:5: key 'task' must be wordnet-topics or a dataset name (letters, digits, '.', '_', '-'), got '../etc'",
        "roundz = 3|job.conf:5: unknown key 'roundz'; valid: alpha, generation, importance, limit-train, limit-validation, lr, max-length, model, partition, partitions, planner, quorum, round-timeout, rounds, seed, strategy, targets, task, warmup",
        "partition { kind = skewed }|job.conf:5: key 'partition.kind' must be iid, dirichlet or attribute, got 'skewed'",
        "partition { kind = dirichlet }|job.conf:5: missing key 'partition.alpha'",
        "importance { matrices = 0 }|job.conf:5: key 'importance.matrices' must be >= 1, got 0",
        "planner { formats = \"fp32,fp7\" }|job.conf:5: key 'planner.formats': unknown quantization format 'fp7'",
        "planner { batches = [8, -1] }|job.conf:5: key 'planner.batches' must be a non-empty list of positive integers, got [8, -1]",
        "planner { min-steps = 50, max-steps = 10 }|job.conf:5: key 'planner.max-steps' must be >= 50, got 10",
        "targets = \"q,x\"|job.conf:5: key 'targets': unknown LoRA target 'x'",
        "rounds = [|job.conf:5: List should have ]",
    })
    void eachBadInputIsOneLineNamingFileLineAndKey(String line, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JobSpecReader.parseJob(BASE + "\n" + line, "job.conf", "j"));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        if (expected.endsWith("'fp7'") || expected.endsWith("'x'") || expected.contains("List should")) {
            // The format and target parsers list the valid values after this prefix.
            assertEquals(expected, e.getMessage().substring(0, Math.min(e.getMessage().length(), expected.length())));
        } else {
            assertEquals(expected, e.getMessage());
        }
    }

    @Test
    void aMissingTaskNamesTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JobSpecReader.parseJob("model = minilm-l6\nstrategy = fedpipe\nrounds = 2", "t.conf", "j"));
        assertEquals("t.conf:1: missing key 'task'", e.getMessage());
    }

    @Test
    void jobIdsAreTheNameReducedPlusARandomSuffix() {
        String id = JobGateway.newJobId("My Job #1.conf");
        assertEquals("my-job-1-", id.substring(0, 9));
        assertEquals(17, id.length());
    }
}
