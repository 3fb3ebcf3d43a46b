package io.fedpipe.cli;

import com.typesafe.config.Config;
import io.fedpipe.cluster.config.NodeConfig;
import io.fedpipe.cluster.config.NodeSettings;
import io.fedpipe.cluster.node.FedPipeNode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedpipe node}: runs one cluster node until SIGTERM (or until the cluster downs it). */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = "Start a cluster node (roles, resources and seeds from the config); stop it with SIGTERM.")
final class NodeCommand implements Callable<Integer> {

    @Option(names = "--config", description = "The node's overlay on application.conf, e.g. cluster-configs/node-1.conf.")
    Path config;

    @Override
    public Integer call() throws Exception {
        Config c = NodeConfig.load(config);
        NodeSettings settings = NodeSettings.fromConfig(c);
        FedPipeNode.Running node = FedPipeNode.start(settings, c);
        try {
            // Either started, or stopped early (SIGTERM while starting): do not wait out the timeout.
            CompletableFuture.anyOf(node.started().toCompletableFuture(),
                    node.terminated()).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            node.stop();
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("node " + settings.name() + " did not start (management on "
                    + settings.managementHost() + ":" + settings.managementPort() + "): " + CliErrors.message(cause), cause);
        }
        // Coordinated shutdown (SIGTERM, or this member being downed) terminates the system.
        node.terminated().join();
        return 0;
    }
}
