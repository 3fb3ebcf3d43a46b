package io.fedpipe.cli;

import com.typesafe.config.Config;
import io.fedpipe.cluster.config.NodeConfig;
import io.fedpipe.cluster.persistence.PostgresSchema;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedpipe db-schema}: creates the shared PostgreSQL journal's tables, failing loudly. */
@Command(name = "db-schema", mixinStandardHelpOptions = true,
        description = "Apply the PostgreSQL journal schema of a config (e.g. one that includes cluster-configs/postgres.conf).")
final class DbSchemaCommand implements Callable<Integer> {

    private static final String DB = "pekko-persistence-jdbc.shared-databases.fedpipe.db.";

    @Option(names = "--config", required = true, description = "A node config whose journal is PostgreSQL.")
    Path config;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Config c = NodeConfig.load(config);
        String url = c.getString(DB + "url");
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException(DB + "url is not PostgreSQL (" + url
                    + "); the embedded H2 journal creates its schema by itself");
        }
        PostgresSchema.Outcome outcome = PostgresSchema.apply(url, c.getString(DB + "user"), c.getString(DB + "password"));
        spec.commandLine().getOut().println(outcome == PostgresSchema.Outcome.CREATED
                ? "created journal schema at " + url : "journal schema already present at " + url);
        return 0;
    }
}
