package io.fedpipe.cli;

import io.fedpipe.engine.EngineSetup;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code fedpipe info}: what engine and native tuning this machine gets. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show the ML engine, threads and CPU tuning.")
final class InfoCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.out.println(EngineSetup.describe());
        return 0;
    }
}
