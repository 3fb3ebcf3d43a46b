package io.fedpipe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fedpipe.cluster.gateway.GatewayClient;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.cluster.protocol.GatewayProtocol.JobStatus;
import io.fedpipe.cluster.protocol.GatewayProtocol.NodeMetrics;
import io.fedpipe.cluster.protocol.GatewayProtocol.PlanRow;
import io.fedpipe.cluster.protocol.GatewayProtocol.RoundMetrics;
import io.fedpipe.job.JobSpecReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fedpipe submit | status | watch | cancel}: talk to a running cluster's job gateway
 * through Pekko Cluster Client ({@link GatewayClient}). Exit codes: 0 done (watch: the job
 * finished), 1 the job failed or was cancelled (watch) or the cluster refused the request, 2 bad
 * input (an invalid job file, an unknown job id, a bad flag), 3 no answer from the cluster.
 */
final class JobCommands {

    /** The cluster did not answer. */
    static final int UNREACHABLE = 3;

    private JobCommands() {}

    /** Where the cluster is. */
    static final class Contact {
        @Option(names = "--contact", required = true, split = ",",
                description = "host:port of one or more cluster nodes (their Artery address, e.g. 127.0.0.1:25521).")
        List<String> contacts;

        @Option(names = "--cluster-name", defaultValue = "fedpipe", description = "The cluster's name (default: ${DEFAULT-VALUE}).")
        String clusterName;

        @Option(names = "--client-host", defaultValue = "127.0.0.1",
                description = "This client's address, which the cluster answers to (default: ${DEFAULT-VALUE}).")
        String clientHost;

        @Option(names = "--timeout", defaultValue = "15", description = "Seconds to wait for an answer (default: ${DEFAULT-VALUE}).")
        long timeoutSeconds;

        @Option(names = "--json", description = "Print the answer as JSON.")
        boolean json;

        GatewayClient connect() {
            return GatewayClient.connect(contacts, clusterName, clientHost);
        }

        Duration timeout() {
            return Duration.ofSeconds(timeoutSeconds);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Runs one request; a timeout becomes exit code 3 with one line. */
    private static int ask(CommandSpec spec, Contact c, GatewayProtocol.Request request,
            ReplyHandler handler) throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        try (GatewayClient client = c.connect()) {
            GatewayProtocol.Reply reply;
            try {
                reply = client.ask(request, c.timeout());
            } catch (java.util.concurrent.TimeoutException e) {
                err.println("fedpipe: " + e.getMessage());
                return UNREACHABLE;
            }
            return handler.handle(client, reply);
        }
    }

    private interface ReplyHandler {
        int handle(GatewayClient client, GatewayProtocol.Reply reply) throws Exception;
    }

    /** Common answers that end a command: exit code, or -1 when the caller handles the reply. */
    private static int common(CommandSpec spec, GatewayProtocol.Reply reply) {
        PrintWriter err = spec.commandLine().getErr();
        if (reply instanceof GatewayProtocol.UnknownJob u) {
            err.println("fedpipe: no job '" + u.jobId() + "' (see /fedpipe/jobs)");
            return CliErrors.INPUT;
        }
        if (reply instanceof GatewayProtocol.RequestFailed f) {
            err.println("fedpipe: " + f.reason());
            return UNREACHABLE;
        }
        if (reply instanceof GatewayProtocol.JobRejected r) {
            err.println("fedpipe: " + r.reason());
            return CliErrors.FAILURE;
        }
        return -1;
    }

    @Command(name = "submit", mixinStandardHelpOptions = true, description = "Submit a job file to the cluster; prints its id.")
    static final class Submit implements Callable<Integer> {
        @Parameters(index = "0", description = "The job file, e.g. jobs/wordnet-fedpipe.conf.")
        Path file;

        @Mixin
        Contact contact;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            // Validated here first: a bad file is exit 2 without contacting the cluster.
            JobSpecReader.readJob(file, "local-check");
            String text = Files.readString(file, StandardCharsets.UTF_8);
            return ask(spec, contact, new GatewayProtocol.SubmitJob(file.getFileName().toString(), text), (client, reply) -> {
                if (reply instanceof GatewayProtocol.JobRejected r && r.reason().startsWith(file.getFileName() + ":")) {
                    spec.commandLine().getErr().println("fedpipe: " + r.reason());
                    return CliErrors.INPUT;
                }
                int code = common(spec, reply);
                if (code >= 0) {
                    return code;
                }
                String id = ((GatewayProtocol.JobAccepted) reply).jobId();
                spec.commandLine().getOut().println(contact.json ? "{\"jobId\": \"" + id + "\"}" : id);
                return 0;
            });
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show a job's state, plan and rounds.")
    static final class Status implements Callable<Integer> {
        @Parameters(index = "0", description = "The job id (from submit).")
        String jobId;

        @Mixin
        Contact contact;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            return ask(spec, contact, new GatewayProtocol.GetJobStatus(jobId), (client, reply) -> {
                int code = common(spec, reply);
                if (code >= 0) {
                    return code;
                }
                PrintWriter out = spec.commandLine().getOut();
                out.print(contact.json ? JSON.writeValueAsString(reply) + System.lineSeparator() : describe((JobStatus) reply));
                out.flush();
                return 0;
            });
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = "Follow a job: one line per closed round; exit 0 when it finished, 1 when it failed or was cancelled.")
    static final class Watch implements Callable<Integer> {
        @Parameters(index = "0", description = "The job id (from submit).")
        String jobId;

        @Option(names = "--interval", defaultValue = "2", description = "Seconds between polls (default: ${DEFAULT-VALUE}).")
        double intervalSeconds;

        @Mixin
        Contact contact;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (!(intervalSeconds > 0)) {
                throw new IllegalArgumentException("--interval must be positive, got " + intervalSeconds);
            }
            PrintWriter out = spec.commandLine().getOut();
            return ask(spec, contact, new GatewayProtocol.GetJobStatus(jobId), (client, first) -> {
                GatewayProtocol.Reply reply = first;
                int printed = 0;
                int changes = 0;
                while (true) {
                    int code = common(spec, reply);
                    if (code >= 0) {
                        return code;
                    }
                    JobStatus s = (JobStatus) reply;
                    for (; changes < s.planChanges().size(); changes++) {
                        var c = s.planChanges().get(changes);
                        out.println("re-planned before round " + c.beforeRound() + ": " + c.reason());
                    }
                    for (; printed < s.history().size(); printed++) {
                        out.println(roundLine(s.history().get(printed), s.rounds()));
                    }
                    out.flush();
                    if (s.state().over()) {
                        out.println("job " + s.jobId() + " " + s.state().name().toLowerCase(Locale.ROOT)
                                + (s.reason().isEmpty() ? "" : ": " + s.reason()));
                        out.flush();
                        return s.state() == GatewayProtocol.JobState.FINISHED ? 0 : CliErrors.FAILURE;
                    }
                    Thread.sleep((long) (intervalSeconds * 1000));
                    try {
                        reply = client.ask(new GatewayProtocol.GetJobStatus(jobId), contact.timeout());
                    } catch (java.util.concurrent.TimeoutException e) {
                        spec.commandLine().getErr().println("fedpipe: " + e.getMessage());
                        return UNREACHABLE;
                    }
                }
            });
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a job.")
    static final class Cancel implements Callable<Integer> {
        @Parameters(index = "0", description = "The job id (from submit).")
        String jobId;

        @Mixin
        Contact contact;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            return ask(spec, contact, new GatewayProtocol.CancelJob(jobId), (client, reply) -> {
                int code = common(spec, reply);
                if (code >= 0) {
                    return code;
                }
                spec.commandLine().getOut().println("cancelled " + ((GatewayProtocol.JobCancelled) reply).jobId());
                return 0;
            });
        }
    }

    static String roundLine(RoundMetrics r, int rounds) {
        String nodes = r.nodes().stream().map(JobCommands::nodeText).collect(Collectors.joining(" | "));
        double v = r.validationLoss();
        String validation = Double.isNaN(v) ? "" : String.format(Locale.ROOT, "  val loss %.4f (ppl %.2f)", v,
                Math.exp(v));
        return String.format(Locale.ROOT, "round %d/%d  %.1f s%s  %s%s", r.round(), rounds, r.roundSeconds(),
                validation, nodes, r.failures().isEmpty() ? "" : "  failures: " + String.join("; ", r.failures()));
    }

    private static String nodeText(NodeMetrics n) {
        String validation = n.validationExamples() > 0 ? String.format(Locale.ROOT, " val %.4f", n.validationLoss())
                : "";
        return String.format(Locale.ROOT, "%s %.1fs (plan %.1fs) %.1f MB loss %.4f%s", n.nodeId(), n.trainSeconds(),
                n.plannedSeconds(), (n.bytesUp() + n.bytesDown()) / 1e6, n.loss(), validation);
    }

    /** The finished causal-LM job's scores: base vs fine-tuned, one line per model. */
    static String evaluationText(GatewayProtocol.GenerationEvaluation e) {
        if (e.error() != null) {
            return "evaluation on " + e.nodeId() + " failed: " + e.error() + System.lineSeparator();
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "test set: %d prompts decoded on %s (%s, %.1f s)%n",
                e.prompts(), e.nodeId(), e.decoding(), e.seconds()));
        for (var m : List.of(java.util.Map.entry("base", e.base()), java.util.Map.entry("fine-tuned", e.tuned()))) {
            var s = m.getValue();
            b.append(String.format(Locale.ROOT, "  %-10s BLEU %.4f  NIST %.4f  METEOR %.4f  ROUGE-L %.4f  CIDEr %.4f%n",
                    m.getKey(), s.get("bleu"), s.get("nist"), s.get("meteor"), s.get("rouge_l"), s.get("cider")));
        }
        return b.toString();
    }

    static String describe(JobStatus s) {
        StringBuilder b = new StringBuilder();
        String nl = System.lineSeparator();
        b.append(String.format(Locale.ROOT, "job %s (%s): %s, round %d/%d, %s on %s, strategy %s%s%n", s.jobId(), s.name(),
                s.state(), s.round(), s.rounds(), s.model(), s.task(), s.strategy(),
                s.reason().isEmpty() ? "" : " (" + s.reason() + ")"));
        b.append("participants: ").append(String.join(", ", s.participants())).append(nl);
        if (!s.plan().isEmpty()) {
            b.append(String.format(Locale.ROOT, "plan: round T = %.1f s, %d matrices adapted%n", s.plannedRoundSeconds(),
                    s.selected().size()));
            b.append(String.format(Locale.ROOT, "  %-14s %-5s %5s %-14s %6s %9s %9s%n", "node", "bits", "batch", "ranks",
                    "steps", "compute", "finish"));
            for (PlanRow r : s.plan()) {
                b.append(String.format(Locale.ROOT, "  %-14s %-5s %5d %-14s %6d %8.1fs %8.1fs%n", r.nodeId(), r.bits(),
                        r.batch(), new java.util.TreeMap<>(r.ranks()).toString().replace(" ", ""), r.steps(),
                        r.plannedComputeSeconds(), r.plannedFinishSeconds()));
            }
        }
        s.excluded().forEach(x -> b.append("excluded ").append(x.nodeId()).append(": ").append(x.reason()).append(nl));
        s.history().forEach(r -> b.append(roundLine(r, s.rounds())).append(nl));
        s.planChanges().forEach(c -> b.append("re-planned before round ").append(c.beforeRound()).append(": ")
                .append(c.reason()).append(nl));
        if (s.evaluation() != null) {
            b.append(evaluationText(s.evaluation()));
        }
        return b.toString();
    }
}
