package io.fedpipe.cluster.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads a node's configuration: system properties over the overlay file over application.conf
 * (Pekko's settings, split by concern into the files it includes) over every reference.conf
 * (FedPipe's own {@code fedpipe.*} defaults and the libraries'), resolved once at the end.
 * Resolving last matters: a default such as the H2 file under {@code ${fedpipe.node.data-dir}}
 * follows the overlay's data directory, not the default one, which is why the reference files
 * are taken unresolved.
 */
public final class NodeConfig {

    private NodeConfig() {}

    /** The layered configuration; {@code overlay} may be null (defaults and environment only). */
    public static Config load(Path overlay) {
        Config file = ConfigFactory.empty();
        if (overlay != null) {
            if (!Files.isRegularFile(overlay)) {
                throw new IllegalArgumentException("config file not found: " + overlay);
            }
            try {
                file = ConfigFactory.parseFile(overlay.toFile());
            } catch (ConfigException e) {
                throw new IllegalArgumentException("bad configuration in " + overlay + ": " + e.getMessage(), e);
            }
        }
        return layered(file);
    }

    /** As {@link #load(Path)} with the overlay given as a parsed (unresolved) config, e.g. in tests. */
    public static Config layered(Config overlay) {
        try {
            return ConfigFactory.defaultOverrides()
                    .withFallback(overlay)
                    .withFallback(ConfigFactory.defaultApplication())
                    .withFallback(ConfigFactory.defaultReferenceUnresolved())
                    .resolve();
        } catch (ConfigException e) {
            throw new IllegalArgumentException("bad configuration: " + e.getMessage(), e);
        }
    }
}
