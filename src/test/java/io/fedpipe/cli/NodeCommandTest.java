package io.fedpipe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeCommandTest {

    @TempDir
    Path dir;

    @Test
    void aBadNodeFileIsRefusedBeforeAnythingStartsWithOneLinePerKey() throws Exception {
        Path conf = Files.writeString(dir.resolve("bad.conf"), String.join("\n",
                "fedpipe.node.port = 70000",
                "fedpipe.node.roles = [edge, chef]",
                "fedpipe.node.data-dir = \"" + dir.resolve("missing") + "\""));
        CliRun run = CliRun.of("node", "--config", conf.toString());
        assertEquals(CliErrors.INPUT, run.exitCode());
        assertEquals(List.of(
                "fedpipe: fedpipe.node.port: must be a port number 0..65535, got 70000",
                "fedpipe.node.roles: unknown role 'chef' (known: edge, aggregator, scheduler, gateway)",
                "fedpipe.node.data-dir: directory " + dir.resolve("missing")
                        + " does not exist (an edge node keeps its private data there)"), run.errLines());
    }

    @Test
    void aMissingNodeFile() {
        CliRun run = CliRun.of("node", "--config", dir.resolve("nope.conf").toString());
        assertEquals(CliErrors.INPUT, run.exitCode());
        assertEquals(List.of("fedpipe: config file not found: " + dir.resolve("nope.conf")), run.errLines());
    }

    @Test
    void dbSchemaRefusesAnH2Journal() throws Exception {
        Path conf = Files.writeString(dir.resolve("h2.conf"), "fedpipe.node.data-dir = \"" + dir + "\"");
        CliRun run = CliRun.of("db-schema", "--config", conf.toString());
        assertEquals(CliErrors.INPUT, run.exitCode());
        assertEquals(List.of("fedpipe: pekko-persistence-jdbc.shared-databases.fedpipe.db.url is not PostgreSQL (jdbc:h2:file:"
                + dir + "/journal/fedpipe;AUTO_SERVER=TRUE;DATABASE_TO_UPPER=FALSE); the embedded H2 journal creates its schema by itself"),
                run.errLines());
    }
}
