package io.fedpipe.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code ./fedpipe}: only wires the subcommands. */
@Command(
        name = "fedpipe",
        mixinStandardHelpOptions = true,
        versionProvider = FedPipeCli.Version.class,
        description = "Federated LoRA fine-tuning of language models across heterogeneous edge servers.",
        subcommands = {TrainCommand.class, NodeCommand.class, JobCommands.Submit.class, JobCommands.Status.class,
                JobCommands.Watch.class, JobCommands.Cancel.class, DemoCommand.class, DbSchemaCommand.class, BenchCommand.class, PlanCommand.class,
                SimulateCommand.class, ReportCommand.class, InfoCommand.class, PretrainCommand.class, GenerateCommand.class, EvalCommand.class, CommandLine.HelpCommand.class})
public final class FedPipeCli {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the CLI and returns its exit code; errors become one line starting with
     * {@code fedpipe: }, not a stack trace (set {@code -Dfedpipe.debug=true} for one).
     */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** As {@link #run(String...)}, printing results to {@code out} and errors to {@code err}. */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        return commandLine().setOut(out).setErr(err).execute(args);
    }

    private static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new FedPipeCli());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("fedpipe: " + CliErrors.message(ex));
            if (Boolean.getBoolean("fedpipe.debug")) {
                ex.printStackTrace(commandLine.getErr());
            }
            return CliErrors.exitCode(ex);
        });
        // picocli would print the whole usage after a bad flag; one line pointing to it is enough.
        cli.setParameterExceptionHandler((ex, args) -> {
            CommandLine failed = ex.getCommandLine();
            failed.getErr().println("fedpipe: " + ex.getMessage() + " (see '"
                    + failed.getCommandSpec().qualifiedName() + " --help')");
            return CliErrors.INPUT;
        });
        return cli;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = FedPipeCli.class.getPackage().getImplementationVersion();
            return new String[] {"fedpipe " + (v == null ? "dev" : v)};
        }
    }
}
