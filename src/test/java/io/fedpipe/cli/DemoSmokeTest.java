package io.fedpipe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedpipe demo} end to end on 2 node processes, 1 round, tiny limits, for the classifier and for
 * the LLM job (about 90 s each on two
 * idle cores). Off by default, since it starts JVMs; tagged cluster, so it runs in the
 * cluster-tests execution of {@code mvn verify} once enabled: {@code mvn verify -Pdemo-smoke}, or
 * alone {@code mvn test-compile surefire:test@cluster-tests -Pdemo-smoke -Dtest=DemoSmokeTest}
 * ({@code -Dfedpipe.cluster-tests=true} instead of the profile works too).
 */
@Tag("cluster")
@EnabledIfSystemProperty(named = "fedpipe.cluster-tests", matches = "true")
class DemoSmokeTest {

    @TempDir
    Path dir;

    @Test
    void twoNodesRunOneRoundAndLeaveAMergedModelAndAReport() throws Exception {
        Path job = dir.resolve("tiny.conf");
        Files.writeString(job, String.join("\n", "model = minilm-l6", "task = wordnet-topics", "limit-train = 160",
                "limit-validation = 40", "partition { kind = iid }", "strategy = fedpipe", "rounds = 1",
                "targets = \"q,v\"", "alpha = 16", "lr = 2e-3", "warmup = 0", "max-length = 24", "seed = 7",
                "partitions = 2", "quorum = 1.0", "round-timeout = 3m",
                // Every candidate adapted: a node whose block 0 has no adapter crashes natively in
                // Backprop.layerwise (getGradientFunctionNames on a tensor without autograd node).
                "importance { matrices = 12, probe-steps = 2, refresh-every = 0 }",
                "planner { formats = \"fp32,int8\", batches = [8], ranks = [4], min-steps = 2, max-steps = 3 }", ""));
        Path out = dir.resolve("out");
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = FedPipeCli.run(new PrintWriter(o, true), new PrintWriter(e, true), "demo", "--out", out.toString(),
                "--nodes", "2", "--job", job.toString(), "--heap", "768m");
        assertEquals(0, code, "stdout:\n" + o + "\nstderr:\n" + e);
        assertTrue(o.toString().contains("round 1/1"), o.toString());

        JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertEquals(1, report.get("roundsDone").asInt());
        assertEquals(2, report.get("plan").size());
        assertEquals(40, report.get("scores").get("examples").asInt());
        double accuracy = report.get("scores").get("accuracy").asDouble();
        assertTrue(accuracy >= 0 && accuracy <= 1, "accuracy " + accuracy);
        // Both nodes uploaded their adapters and head; the total is the rounds' bytes summed.
        long sum = 0;
        for (JsonNode node : report.get("rounds").get(0).get("nodes")) {
            assertTrue(node.get("bytesUp").asLong() > 0, node.toString());
            sum += node.get("bytesUp").asLong() + node.get("bytesDown").asLong();
        }
        assertEquals(2, report.get("rounds").get(0).get("nodes").size());
        assertEquals(sum, report.get("totalBytes").asLong());
        for (String f : new String[] {"merged/config.json", "merged/model.safetensors", "merged/tokenizer.json",
                "adapters/adapter_config.json", "adapters/adapter_model.safetensors", "report.md", "round-times.png"}) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
    }

    @Test
    void theLlmDemoRunsOneRoundAndLeavesAMergedDecoderScoresAndExamples() throws Exception {
        Path job = dir.resolve("tiny-llm.conf");
        Files.writeString(job, String.join("\n", "model = fedpipe-lm-small", "task = e2e", "limit-train = 120",
                "partition { kind = iid }", "strategy = fedpipe", "rounds = 1", "targets = \"q,v\"", "alpha = 16",
                "lr = 3e-3", "warmup = 0", "max-length = 96", "seed = 7", "partitions = 2", "quorum = 1.0",
                "round-timeout = 3m", "planner { formats = \"fp32,int8\", batches = [4], ranks = [4], min-steps = 2,"
                + " max-steps = 10 }", "generation { test-prompts = 6, max-new-tokens = 24 }", ""));
        Path out = dir.resolve("out-llm");
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = FedPipeCli.run(new PrintWriter(o, true), new PrintWriter(e, true), "demo", "--out", out.toString(),
                "--nodes", "2", "--job", job.toString(), "--heap", "768m");
        assertEquals(0, code, "stdout:\n" + o + "\nstderr:\n" + e);
        assertTrue(o.toString().contains("round 1/1") && o.toString().contains(" val "), o.toString());
        JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        JsonNode eval = report.get("evaluation");
        assertEquals(6, eval.get("prompts").asInt());
        assertTrue(eval.get("error").isNull(), eval.toString());
        for (String m : new String[] {"bleu", "nist", "meteor", "rouge_l", "cider"}) {
            double v = eval.get("tuned").get(m).asDouble();
            assertTrue(Double.isFinite(v) && v >= 0, m + " " + v);
        }
        assertEquals(5, eval.get("examples").size());
        for (String f : new String[] {"merged/config.json", "merged/model.safetensors", "merged/tokenizer.json",
                "adapters/adapter_config.json", "adapters/adapter_model.safetensors", "report.md",
                "validation-loss.png", "round-times.png"}) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        assertTrue(Files.readString(out.resolve("adapters/adapter_config.json")).contains("CAUSAL_LM"));
    }
}
