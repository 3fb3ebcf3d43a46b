package io.fedpipe.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fedpipe.simulation.Experiment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One job model: the same keys give the same {@link JobSpec} from a cluster job file and from an experiment. */
class JobSpecReaderTest {

    private static final String JOB_KEYS = """
            model = minilm-l6
            task = wordnet-topics
            limit-train = 300
            limit-validation = 90
            partition { kind = dirichlet, alpha = 0.3 }
            strategy = hetlora
            rounds = 4
            targets = [v, q]
            alpha = 8
            lr = 1e-3
            warmup = 2
            max-length = 48
            seed = 5
            planner { formats = "nf4,fp32", batches = [16, 4], ranks = [8, 2], min-steps = 3, max-steps = 30 }
            importance { matrices = 6, probe-steps = 5, refresh-every = 2 }
            """;

    @TempDir
    Path dir;

    @Test
    void theSameKeysParseToTheSameJobInBothFiles() throws Exception {
        JobSpec fromJob = JobSpecReader.parseJob(JOB_KEYS, "job.conf", "job-1");
        Path file = dir.resolve("exp.conf");
        Files.writeString(file, JOB_KEYS + "nodes = [{ name = a }, { name = b, compute-scale = 0.5 }]\n");
        Experiment experiment = Experiment.read(file);
        assertEquals(fromJob, experiment.job().withJobId("job-1"));
        assertEquals(2, experiment.nodes().size());

        assertEquals(new JobSpec.Data("wordnet-topics", 300, 90, "dirichlet", 0.3), fromJob.data());
        assertEquals(List.of("q", "v"), fromJob.targets());
        assertEquals(List.of("nf4", "fp32"), fromJob.formats());
        assertEquals(List.of(4, 16), fromJob.batches());
        assertEquals(List.of(2, 8), fromJob.ranks());
        assertEquals(List.of(6, 5, 2, 3, 30), List.of(fromJob.importanceMatrices(), fromJob.probeSteps(),
                fromJob.refreshEvery(), fromJob.minSteps(), fromJob.maxSteps()));
        assertEquals("hetlora", fromJob.method());
    }

    @Test
    void eachSideRefusesTheOthersKeysWithTheReason() throws Exception {
        IllegalArgumentException job = assertThrows(IllegalArgumentException.class, () -> JobSpecReader.parseJob(
                JOB_KEYS.replace("min-steps = 3", "min-steps = 3, device = t4") + "max-seconds = 60\nnodes = []\n",
                "job.conf", "j"));
        assertEquals(List.of(
                "job.conf:16: key 'max-seconds' is only for experiment files (the simulator)",
                "job.conf:17: key 'nodes' is only for experiment files (the simulator)",
                "job.conf:14: key 'planner.device' is only for experiment files (a cluster plans with its nodes'"
                        + " measured devices and the default objective)"), job.getMessage().lines().toList());

        Path file = dir.resolve("exp.conf");
        Files.writeString(file, JOB_KEYS + "quorum = 0.5\nnodes = [{ name = a }]\n");
        IllegalArgumentException exp = assertThrows(IllegalArgumentException.class, () -> Experiment.read(file));
        assertEquals("exp.conf:16: key 'quorum' is only for cluster job files (jobs/)", exp.getMessage());
    }

    @Test
    void aJobWithoutPlannerOrImportanceBlocksReportsTheDefaults() {
        JobSpec j = JobSpecReader.parseJob("task = t\nstrategy = fedpipe\nrounds = 1", "min.conf", "j");
        assertEquals(null, j.planner());
        assertEquals(JobSpec.PlannerChoices.DEFAULTS, j.plannerChoices());
        assertEquals(List.of(0, 10, 0), List.of(j.importanceMatrices(), j.probeSteps(), j.refreshEvery()));
        assertEquals(Double.POSITIVE_INFINITY, j.maxSeconds());
    }

    @Test
    void derivedAccessorsStayOutOfJson() throws Exception {
        JobSpec j = JobSpecReader.parseJob(JOB_KEYS, "job.conf", "job-1");
        ObjectMapper mapper = new ObjectMapper();
        String json = mapper.writeValueAsString(j);
        assertEquals(j, mapper.readValue(json, JobSpec.class));
        JobSpec bare = JobSpecReader.parseJob("task = t\nstrategy = fedpipe\nrounds = 1", "min.conf", "j");
        assertEquals(bare, mapper.readValue(mapper.writeValueAsString(bare), JobSpec.class));
        // Only the components are written: the derived accessors (task(), formats(), ...) are not properties.
        List<String> fields = new java.util.ArrayList<>();
        mapper.readTree(json).fieldNames().forEachRemaining(fields::add);
        assertEquals(java.util.Arrays.stream(JobSpec.class.getRecordComponents())
                .map(java.lang.reflect.RecordComponent::getName).sorted().toList(), fields.stream().sorted().toList());
    }

    @Test
    void aCausalLmJobReadsItsPartitionByAnAttributeAndItsGenerationSettings() throws Exception {
        JobSpec j = JobSpecReader.parseJob("model = fedpipe-lm-small\ntask = e2e\nstrategy = fedpipe\nrounds = 2\n"
                + "partition { kind = dirichlet, alpha = 0.5, by = food }\n"
                + "generation { round-prompts = 10, test-prompts = 100, beams = 10, length-penalty = 0.9,"
                + " no-repeat-ngram = 4, max-new-tokens = 48 }", "llm.conf", "j");
        assertEquals(new JobSpec.Data("e2e", 0, 0, "dirichlet", 0.5, "food"), j.data());
        assertEquals("dirichlet(α=0.5) by food", j.data().partitionLabel());
        assertEquals(new JobSpec.Generation(10, 100, 10, 0.9f, 4, 48), j.generation());
        assertEquals("fedpipe-lm-small", j.model());
        JobSpec byArea = JobSpecReader.parseJob("task = e2e\nstrategy = fedpipe\nrounds = 1\npartition { kind = attribute, by = area }",
                "a.conf", "j");
        assertEquals("attribute by area", byArea.data().partitionLabel());
        // Defaults: greedy, 50 prompts per round, the whole test set at the end.
        assertEquals(JobSpec.Generation.DEFAULTS, JobSpecReader.parseJob("task = e2e\nstrategy = fedpipe\nrounds = 1", "d.conf", "j")
                .generation());
        ObjectMapper mapper = new ObjectMapper();
        assertEquals(j, mapper.readValue(mapper.writeValueAsString(j), JobSpec.class));
    }

    @Test
    void badGenerationAndPartitionKeysAreRefusedWithTheirReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JobSpecReader.parseJob(
                "task = e2e\nstrategy = fedpipe\nrounds = 1\npartition { kind = attribute }\ngeneration { beams = 0, top-k = 5 }",
                "bad.conf", "j"));
        String m = e.getMessage();
        assertTrue(m.contains("key 'partition.by' is required for kind = attribute"), m);
        assertTrue(m.contains("key 'generation.beams'"), m);
        assertTrue(m.contains("unknown key 'generation.top-k'") || m.contains("'top-k'"), m);
        IllegalArgumentException iidBy = assertThrows(IllegalArgumentException.class, () -> JobSpecReader.parseJob(
                "task = e2e\nstrategy = fedpipe\nrounds = 1\npartition { kind = iid, by = food }", "iid.conf", "j"));
        assertTrue(iidBy.getMessage().contains("applies to kind = dirichlet or attribute"), iidBy.getMessage());
    }
}
