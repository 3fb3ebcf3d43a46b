package io.fedpipe.cli;

import io.fedpipe.report.ComparisonPlots;
import io.fedpipe.report.ComparisonTable;
import io.fedpipe.report.MethodComparison;
import io.fedpipe.report.RunLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedpipe report}: reports built from run logs; only {@code compare} so far. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Reports from run logs. 'report compare': the method comparison table and plots.",
        subcommands = ReportCommand.Compare.class)
final class ReportCommand implements Callable<Integer> {

    @Spec
    CommandSpec command;

    @Override
    public Integer call() {
        throw new ParameterException(command.commandLine(), "missing subcommand: compare");
    }

    /**
     * {@code fedpipe report compare}: per (setting, method) the figures of issue 3 §6 as a Markdown
     * table (or JSON), and with {@code --out} two PNGs per setting, whose paths it prints.
     */
    @Command(name = "compare", mixinStandardHelpOptions = true,
            description = "Compare methods from 'fedpipe simulate --json' logs: Markdown table (or JSON) and PNG plots.")
    static final class Compare implements Callable<Integer> {

        @Parameters(arity = "1..*", paramLabel = "RUN.jsonl", description = "Run logs, one per (setting, method).")
        List<Path> runs;

        @Option(names = "--target", required = true, description = "Target accuracy for time-to-target, in (0, 1].")
        double target;

        @Option(names = "--out", paramLabel = "DIR", description = "Write the PNG plots into this directory.")
        Path out;

        @Option(names = "--json", description = "Print JSON instead of the Markdown table.")
        boolean json;

        @Spec
        CommandSpec command;

        @Override
        public Integer call() throws IOException {
            if (!(target > 0 && target <= 1)) {
                throw new IllegalArgumentException("--target must be in (0, 1]: " + target);
            }
            List<RunLog> logs = new ArrayList<>();
            for (Path run : runs) {
                logs.add(RunLog.read(run));
            }
            MethodComparison comparison = MethodComparison.of(logs, target);
            List<Path> plots = out == null ? List.of() : ComparisonPlots.write(comparison, out);
            PrintWriter printer = command.commandLine().getOut();
            if (json) {
                printer.println(ComparisonTable.json(comparison, plots));
            } else {
                printer.print(ComparisonTable.markdown(comparison));
                plots.forEach(p -> printer.println("wrote " + p));
            }
            printer.flush();
            return 0;
        }
    }
}
