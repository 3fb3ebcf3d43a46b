package io.fedpipe.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code ./fedpipe}: only wires the subcommands. */
@Command(
        name = "fedpipe",
        mixinStandardHelpOptions = true,
        versionProvider = FedPipeCli.Version.class,
        description = "Federated LoRA fine-tuning of language models across heterogeneous edge servers.",
        subcommands = {TrainCommand.class, BenchCommand.class, InfoCommand.class, CommandLine.HelpCommand.class})
public final class FedPipeCli {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code; errors become one clear line, not a stack trace. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new FedPipeCli());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("fedpipe: " + CliErrors.message(ex));
            if (Boolean.getBoolean("fedpipe.debug")) {
                ex.printStackTrace(commandLine.getErr());
            }
            return CliErrors.exitCode(ex);
        });
        return cli.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = FedPipeCli.class.getPackage().getImplementationVersion();
            return new String[] {"fedpipe " + (v == null ? "dev" : v)};
        }
    }
}
