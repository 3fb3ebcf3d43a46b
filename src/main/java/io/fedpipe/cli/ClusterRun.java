package io.fedpipe.cli;

import io.fedpipe.cluster.protocol.NodeRole;
import io.fedpipe.cluster.gateway.GatewayClient;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.cluster.scheduler.JobPlanning;
import io.fedpipe.cluster.local.LocalCluster;
import io.fedpipe.cluster.local.LocalClusterLayout;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

/**
 * One job on a {@link LocalCluster}, as {@code fedpipe demo} and {@code fedpipe bench cluster}
 * run it: submit through the gateway, print the plan and one line per closed round (as
 * {@code fedpipe watch} does), and fetch the global model at the end. A node process that dies
 * while the job runs ends the run with a {@link LocalCluster.NodeFailure} naming its log.
 */
final class ClusterRun {

    /** How a run ended: the final status, and the global model when the job finished. */
    record Outcome(GatewayProtocol.JobStatus status, GatewayProtocol.GlobalModel global, double jobSeconds) {}

    private static final Duration ASK = Duration.ofSeconds(30);

    private ClusterRun() {}

    /**
     * The demo's nodes (emulated, DESIGN.md §5): a strong node with every control role, a
     * half-speed aggregator, and a weak edge whose 120 MiB budget cannot hold MiniLM in FP32 for
     * training, so the planner must quantize its base; further nodes are half-speed edges.
     */
    static List<LocalClusterLayout.NodeSpec> demoNodes(int n) {
        return demoNodes(n, false);
    }

    /**
     * As above; for a decoder job ({@code fedpipe-lm-small}) the weak edge has 260 MiB: the memory
     * model puts an FP32 step at batch 4 and 128 tokens at 308 MB (base, adapters, activations and the
     * B×T×vocab logits) and an NF4 or INT8 one at about 230 MB, so only a quantized base fits.
     */
    static List<LocalClusterLayout.NodeSpec> demoNodes(int n, boolean decoder) {
        if (n < 1 || n > 8) {
            throw new IllegalArgumentException("--nodes must be 1..8, got " + n);
        }
        List<LocalClusterLayout.NodeSpec> all = new ArrayList<>();
        all.add(new LocalClusterLayout.NodeSpec("node-1", EnumSet.of(NodeRole.SCHEDULER, NodeRole.GATEWAY,
                NodeRole.AGGREGATOR, NodeRole.EDGE), 2L << 30, 100, 100, 1.0));
        all.add(new LocalClusterLayout.NodeSpec("node-2", EnumSet.of(NodeRole.AGGREGATOR, NodeRole.EDGE), 1L << 30, 50, 50,
                0.5));
        all.add(new LocalClusterLayout.NodeSpec("node-3", EnumSet.of(NodeRole.EDGE), (decoder ? 260L : 120L) << 20, 10, 10,
                0.25));
        for (int i = 4; i <= n; i++) {
            all.add(new LocalClusterLayout.NodeSpec("node-" + i, EnumSet.of(NodeRole.EDGE), 1L << 30, 50, 50, 0.5));
        }
        return all.subList(0, n);
    }

    /** Submits {@code jobText} and follows it to its end; the global model is fetched when it finished. */
    static Outcome run(LocalCluster cluster, String jobName, String jobText, PrintWriter out)
            throws InterruptedException, TimeoutException {
        try (GatewayClient client = GatewayClient.connect(cluster.contacts(), "fedpipe", "127.0.0.1")) {
            GatewayProtocol.Reply reply = client.ask(new GatewayProtocol.SubmitJob(jobName, jobText), ASK);
            if (!(reply instanceof GatewayProtocol.JobAccepted accepted)) {
                throw new IllegalStateException("the cluster did not accept the job: " + reply);
            }
            String jobId = accepted.jobId();
            out.println("submitted job " + jobId + "; nodes load the model and data, then probe importance...");
            out.flush();
            long start = System.nanoTime();
            boolean planShown = false;
            int printed = 0;
            int changes = 0;
            while (true) {
                dead(cluster);
                reply = client.ask(new GatewayProtocol.GetJobStatus(jobId), ASK);
                if (!(reply instanceof GatewayProtocol.JobStatus s)) {
                    throw new IllegalStateException("job " + jobId + ": unexpected answer " + reply);
                }
                if (!planShown && !s.plan().isEmpty()) {
                    out.print(JobCommands.describe(s));
                    planShown = true;
                    printed = s.history().size();
                    changes = s.planChanges().size();
                }
                for (; changes < s.planChanges().size(); changes++) {
                    var c = s.planChanges().get(changes);
                    out.println("re-planned before round " + c.beforeRound() + ": " + c.reason());
                }
                for (; printed < s.history().size(); printed++) {
                    out.println(roundLine(s.history().get(printed), s));
                }
                out.flush();
                if (s.state().over()) {
                    double seconds = (System.nanoTime() - start) / 1e9;
                    out.println(String.format(Locale.ROOT, "job %s %s after %.0f s%s", jobId,
                            s.state().name().toLowerCase(Locale.ROOT), seconds, s.reason().isEmpty() ? "" : ": " + s.reason()));
                    out.flush();
                    if (s.state() != GatewayProtocol.JobState.FINISHED) {
                        return new Outcome(s, null, seconds);
                    }
                    s = awaitEvaluation(cluster, client, s, out);
                    seconds = (System.nanoTime() - start) / 1e9;
                    GatewayProtocol.Reply g = client.ask(new GatewayProtocol.GetGlobalModel(jobId), ASK);
                    if (!(g instanceof GatewayProtocol.GlobalModel global)) {
                        throw new IllegalStateException("job " + jobId + ": could not fetch the global model: " + g);
                    }
                    return new Outcome(s, global, seconds);
                }
                Thread.sleep(2000);
            }
        }
    }

    /**
     * As {@code fedpipe watch} prints a round, with each node's local steps in that round's plan (not
     * the plan in force when the line is printed: a re-plan right after the round would show its steps).
     */
    static String roundLine(GatewayProtocol.RoundMetrics r, GatewayProtocol.JobStatus s) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "round %d/%d  %5.1f s ", r.round(), s.rounds(),
                r.roundSeconds()));
        for (GatewayProtocol.NodeMetrics n : r.nodes()) {
            b.append(String.format(Locale.ROOT, " | %s %d steps %.1fs (plan %.1fs) %.2f MB loss %.4f", n.nodeId(), n.steps(),
                    n.trainSeconds(), n.plannedSeconds(), (n.bytesUp() + n.bytesDown()) / 1e6, n.loss()));
            if (n.validationExamples() > 0) {
                b.append(String.format(Locale.ROOT, " val %.4f", n.validationLoss()));
            }
        }
        if (!r.failures().isEmpty()) {
            b.append("  failures: ").append(String.join("; ", r.failures()));
        }
        return b.toString();
    }

    /** A causal-LM job is scored by one node after it finished: waits for its scores (up to 20 minutes). */
    private static GatewayProtocol.JobStatus awaitEvaluation(LocalCluster cluster, GatewayClient client,
            GatewayProtocol.JobStatus s, PrintWriter out) throws InterruptedException, TimeoutException {
        if (!JobPlanning.isDecoder(s.model())) {
            return s;
        }
        out.println("decoding the test prompts with the base and the fine-tuned model on one node...");
        out.flush();
        long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
        GatewayProtocol.JobStatus now = s;
        while (now.evaluation() == null && System.nanoTime() < deadline) {
            dead(cluster);
            Thread.sleep(2000);
            if (client.ask(new GatewayProtocol.GetJobStatus(s.jobId()), ASK) instanceof GatewayProtocol.JobStatus j) {
                now = j;
            }
        }
        return now;
    }

    /** Fails when a node process died: the job cannot be trusted to finish, and its log says why. */
    private static void dead(LocalCluster cluster) {
        cluster.firstDead().ifPresent(n -> {
            throw new LocalCluster.NodeFailure(n.name(), n.log(), "exited while the job was running");
        });
    }
}
