package io.fedpipe.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.fedpipe.cluster.config.NodeConfig;
import io.fedpipe.job.JobSpec;
import io.fedpipe.core.HostTensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;

/** What the data-plane tests share: tiny jobs, a testkit without a cluster, tensor comparison. */
public final class DataPlaneFixtures {

    private DataPlaneFixtures() {}

    /**
     * A job over MiniLM-L6's q matrices: its shapes come from the preset configuration, so an
     * aggregator needs no weights; fp32, one local step of batch 2 on 16 tokens.
     */
    public static JobSpec job(String id, String task, int partitions, double quorum, long roundTimeoutMs) {
        return new JobSpec(id, "minilm-l6", new JobSpec.Data(task, 8, 4, "iid", 0.5), "fedpipe", 2, List.of("q"), 8f,
                5e-3f, 0, 16, 7L, partitions, quorum, roundTimeoutMs, new JobSpec.PlannerChoices("cpu-2core",
                        List.of("fp32"), List.of(2), List.of(2), 1, 1, 0.1, 0.8, 3.0), null, Double.POSITIVE_INFINITY,
                "fedpipe", "default");
    }

    /**
     * A testkit with a local (non-cluster) actor system and the product's configuration: the
     * trainer's dispatcher, and persistence in an H2 file under a fresh data directory.
     */
    public static ActorTestKit localTestKit(String name) {
        Path dir;
        try {
            dir = Files.createTempDirectory(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new JUnit5TestKitBuilder().withName(name).withCustomConfig(NodeConfig.layered(ConfigFactory.parseString(
                "pekko.actor.provider = local\nfedpipe.node.data-dir = \"" + dir + "\"\nfedpipe.trainer.threads = 1")))
                .build();
    }

    /** Largest absolute element difference; fails when the shapes differ. */
    public static double maxDiff(HostTensor a, HostTensor b) {
        assertTrue(Arrays.equals(a.shape(), b.shape()), Arrays.toString(a.shape()) + " vs " + Arrays.toString(b.shape()));
        double m = 0;
        for (int i = 0; i < a.data().length; i++) {
            m = Math.max(m, Math.abs(a.data()[i] - b.data()[i]));
        }
        return m;
    }
}
