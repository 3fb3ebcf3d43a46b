package io.fedpipe.cli;

import ai.djl.ndarray.NDManager;
import io.fedpipe.job.JobSpecReader;
import io.fedpipe.cluster.local.ClusterJobReport;
import io.fedpipe.cluster.local.LocalCluster;
import io.fedpipe.cluster.local.LocalClusterLayout;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.cluster.scheduler.JobPlanning;
import io.fedpipe.runtime.EngineSetup;
import io.fedpipe.runtime.TrainerSettings;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fedpipe demo}: the whole system on one machine (DESIGN.md §1). Launches node processes
 * on loopback with different emulated resources ({@link ClusterRun#demoNodes}), submits a job,
 * shows the plan and each round, then merges the global adapters into the base, scores the
 * merged model on the job's validation split and writes {@code merged/}, {@code adapters/},
 * {@code report.md}, {@code report.json} and {@code round-times.png}. Exit 0 when all of that
 * worked; 1 when a node failed or the job did not finish (the message names the node's log).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run a small federated job on local node processes with different emulated resources, "
                + "then write the merged model, the adapters and a report."})
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "out/demo", description = "Output directory. Default: ${DEFAULT-VALUE}")
    Path out;

    @Option(names = "--nodes", defaultValue = "3", description = "Node processes (1..8). Default: ${DEFAULT-VALUE}")
    int nodes;

    @Option(names = "--rounds", description = "Rounds (default: the job file's).")
    Integer rounds;

    @Option(names = "--job", description = "The job file. Default: jobs/demo.conf (e2e) or jobs/demo-wordnet.conf.")
    Path job;

    @Option(names = "--task", defaultValue = "e2e", description = "e2e: the built-in decoder LLM on E2E NLG (default);"
            + " wordnet: the MiniLM classifier on the WordNet topic task. Ignored with --job.")
    String task;

    @Option(names = "--keep-running", description = "Keep the nodes running after the report until Ctrl-C.")
    boolean keepRunning;

    @Option(names = "--heap", defaultValue = "1g", description = "Each node's -Xmx. Default: ${DEFAULT-VALUE}")
    String heap;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path jobFile = job != null ? job : defaultJob(task);
        String text = jobText(jobFile, rounds);
        // Validated before any process starts: a bad file is exit 2.
        JobSpec definition = JobSpecReader.parseJob(text, jobFile.getFileName().toString(), "demo");
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + " exists and is not a directory");
        }
        Files.createDirectories(out);
        boolean decoder = JobPlanning.isDecoder(definition);
        List<LocalClusterLayout.NodeSpec> specs = ClusterRun.demoNodes(nodes, decoder);
        LocalClusterLayout layout = LocalClusterLayout.plan(out.resolve("cluster"), specs,
                new LocalClusterLayout.Options(1, heap, java.time.Duration.ofMinutes(3), java.time.Duration.ofSeconds(30),
                        List.of()));
        long start = System.nanoTime();
        o.println("starting " + specs.size() + " node processes (logs under " + layout.outDir().resolve("nodes") + "):");
        for (LocalClusterLayout.Node n : layout.nodes()) {
            LocalClusterLayout.NodeSpec s = n.spec();
            o.println(String.format(Locale.ROOT, "  %-7s %-34s %5.0f MiB  %4.0f/%-4.0f Mbit/s  scale %.2f  %s  %s", n.name(),
                    s.roles().stream().map(r -> r.key()).sorted().toList(), s.memoryBytes() / 1048576.0, s.uplinkMbps(),
                    s.downlinkMbps(), s.computeScale(), n.contact(), n.managementUrl()));
        }
        o.flush();
        LocalCluster cluster;
        try {
            cluster = LocalCluster.start(layout);
        } catch (LocalCluster.NodeFailure e) {
            err.println("fedpipe: demo failed: " + e.getMessage());
            return CliErrors.FAILURE;
        }
        ClusterRun.Outcome outcome;
        double finished;
        try {
            o.println(String.format(Locale.ROOT, "all %d nodes ready after %.0f s", specs.size(), seconds(start)));
            o.flush();
            outcome = ClusterRun.run(cluster, jobFile.getFileName().toString(), text, o);
            finished = seconds(start);
        } catch (LocalCluster.NodeFailure e) {
            err.println("fedpipe: demo failed: " + e.getMessage());
            cluster.close();
            return CliErrors.FAILURE;
        } catch (RuntimeException | java.util.concurrent.TimeoutException e) {
            err.println("fedpipe: demo failed: " + CliErrors.message(e) + " (node logs under "
                    + layout.outDir().resolve("nodes") + ")");
            cluster.close();
            return CliErrors.FAILURE;
        }
        if (!keepRunning) {
            o.println("stopping the nodes...");
            o.flush();
            cluster.close();
        }
        try {
            if (outcome.global() == null) {
                err.println("fedpipe: demo failed: job " + outcome.status().jobId() + " ended "
                        + outcome.status().state() + (outcome.status().reason().isEmpty() ? "" : ": "
                        + outcome.status().reason()) + " (node logs under " + layout.outDir().resolve("nodes") + ")");
                return CliErrors.FAILURE;
            }
            JobSpec done = JobSpecReader.parseJob(text, jobFile.getFileName().toString(), outcome.status().jobId());
            if (decoder) {
                return decoderReport(o, err, done, outcome, specs, finished, start);
            }
            o.println("merging the global adapters into the base and scoring it on the validation split...");
            o.flush();
            TrainerSettings settings = TrainerSettings.fromConfig(TrainerSettings.load(null));
            EngineSetup.start(settings.effectiveThreads());
            ClusterJobReport.Report report;
            try (NDManager manager = NDManager.newBaseManager(settings.resolveDevice())) {
                report = ClusterJobReport.write(out, done, outcome.status(), outcome.global(), specs, finished, manager);
            }
            o.println(String.format(Locale.ROOT, "validation: accuracy %.4f, macro-F1 %.4f on %d examples (majority class %.4f)",
                    report.scores().accuracy(), report.scores().macroF1(), report.scores().examples(),
                    report.scores().majorityBaseline()));
            o.println(String.format(Locale.ROOT, "%d rounds in %.0f s of job time (submit to finish), %.0f s from launch to"
                    + " the job's end, %.0f s in all; %.1f MB exchanged", report.roundsDone(), outcome.jobSeconds(), finished,
                    seconds(start), report.totalBytes() / 1e6));
            o.println("results in " + out.toAbsolutePath().normalize() + ": merged/ (Hugging Face), adapters/ (PEFT), "
                    + "report.md, report.json, round-times.png");
            o.flush();
            if (keepRunning) {
                o.println("nodes keep running (contacts " + String.join(",", cluster.contacts()) + "); Ctrl-C stops them");
                o.flush();
                Thread.currentThread().join();
            }
            return 0;
        } finally {
            cluster.close();
        }
    }

    /** The LLM demo's end: the merged model and adapters, the report with the scores the cluster measured. */
    private int decoderReport(PrintWriter o, PrintWriter err, JobSpec done, ClusterRun.Outcome outcome,
            List<LocalClusterLayout.NodeSpec> specs, double finished, long start) throws java.io.IOException {
        GatewayProtocol.GenerationEvaluation e = outcome.status().evaluation();
        if (e == null || e.error() != null) {
            err.println("fedpipe: demo failed: the finished model was not scored on the test set: "
                    + (e == null ? "no evaluation arrived" : e.error()));
            return CliErrors.FAILURE;
        }
        o.println("merging the global adapters into the base...");
        o.flush();
        ClusterJobReport.DecoderReport report = ClusterJobReport.writeDecoder(out, done, outcome.status(),
                outcome.global(), specs, finished);
        o.print(JobCommands.evaluationText(e));
        for (GatewayProtocol.GenerationSample x : e.examples().subList(0, Math.min(3, e.examples().size()))) {
            o.println("  MR:     " + x.prompt());
            o.println("  before: " + ClusterJobReport.oneLine(x.before()));
            o.println("  after:  " + ClusterJobReport.oneLine(x.after()));
        }
        o.println(String.format(Locale.ROOT, "%d rounds in %.0f s of job time (submit to scores), %.0f s from launch to"
                + " the job's end, %.0f s in all; %.1f MB exchanged", report.roundsDone(), outcome.jobSeconds(),
                finished, seconds(start), report.totalBytes() / 1e6));
        o.println("results in " + out.toAbsolutePath().normalize() + ": merged/ (Hugging Face), adapters/ (PEFT), "
                + "report.md, report.json, validation-loss.png, round-times.png");
        o.flush();
        return 0;
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    /**
     * The demo's job for {@code task} ({@code e2e}: jobs/demo.conf, {@code wordnet}:
     * jobs/demo-wordnet.conf) next to the launcher ({@code fedpipe.home}), else in the working directory.
     */
    static Path defaultJob(String task) {
        String file = switch (task.strip().toLowerCase(Locale.ROOT)) {
            case "e2e" -> "demo.conf";
            case "wordnet" -> "demo-wordnet.conf";
            default -> throw new IllegalArgumentException("--task must be e2e or wordnet, got '" + task + "'");
        };
        String home = System.getProperty("fedpipe.home");
        Path p = Path.of(home == null ? "." : home, "jobs", file);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("job file " + p + " not found; give one with --job");
        }
        return p;
    }

    /** The job file's text, with {@code rounds} overriding the file's when given (HOCON: the last value wins). */
    static String jobText(Path file, Integer rounds) throws java.io.IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("job file " + file + " not found");
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        if (rounds != null) {
            if (rounds < 1) {
                throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
            }
            text = text + System.lineSeparator() + "rounds = " + rounds + System.lineSeparator();
        }
        return text;
    }
}
