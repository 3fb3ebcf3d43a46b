package io.fedpipe.cli;

import io.fedpipe.runtime.EngineSetup;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code fedpipe info}: what engine and native tuning this machine gets. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show the ML engine, threads and CPU tuning.")
final class InfoCommand implements Callable<Integer> {

    @Spec
    CommandSpec command;

    @Override
    public Integer call() {
        command.commandLine().getOut().println(EngineSetup.describe());
        command.commandLine().getOut().flush();
        return 0;
    }
}
