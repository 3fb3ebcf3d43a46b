package io.fedpipe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fedpipe.cluster.config.NodeConfig;
import io.fedpipe.cluster.config.NodeSettings;
import io.fedpipe.cluster.node.FedPipeNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Several FedPipe nodes in one JVM for tests, each started through the product's
 * {@link FedPipeNode#init} (STACK.md rule 8: one ActorTestKit per node, ports 0, multi-mbeans on);
 * the first node is the seed. Shut down in reverse order.
 */
public final class InJvmCluster implements AutoCloseable {

    private final List<ActorTestKit> kits = new ArrayList<>();
    private final List<FedPipeNode.Started> started = new ArrayList<>();
    private Address first;

    /**
     * Starts {@code roles.length} nodes named node-1.. with data directories under {@code dir}.
     *
     * @param roles   per node, a HOCON list of roles, e.g. {@code "[aggregator, edge]"}
     * @param extra   per node index, more HOCON lines for its config (a journal, a heartbeat pause, ...)
     * @param timeout seconds each node's init may take
     */
    public static InJvmCluster start(Path dir, String[] roles, IntFunction<List<String>> extra, int timeout)
            throws Exception {
        InJvmCluster cluster = new InJvmCluster();
        try {
            for (int i = 0; i < roles.length; i++) {
                Path data = Files.createDirectories(dir.resolve("node-" + (i + 1)));
                List<String> lines = new ArrayList<>(List.of(
                        "fedpipe.node.name = node-" + (i + 1),
                        "fedpipe.node.port = 0",
                        "fedpipe.node.management.port = 0",
                        "fedpipe.node.roles = " + roles[i],
                        "fedpipe.node.data-dir = \"" + data + "\"",
                        "fedpipe.trainer.threads = 1",
                        "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on"));
                lines.addAll(extra.apply(i));
                cluster.startNode(NodeConfig.layered(ConfigFactory.parseString(String.join("\n", lines))), timeout);
            }
            return cluster;
        } catch (Exception | Error e) {
            cluster.close();
            throw e;
        }
    }

    private void startNode(Config c, int timeout) throws Exception {
        NodeSettings settings = NodeSettings.fromConfig(c);
        ActorTestKit kit = ActorTestKit.create(settings.clusterName(), settings.systemConfig(c));
        kits.add(kit);
        Address self = Cluster.get(kit.system()).selfMember().address();
        first = first == null ? self : first;
        started.add(FedPipeNode.init(kit.system(), settings, List.of(first)).toCompletableFuture()
                .get(timeout, TimeUnit.SECONDS));
    }

    public List<ActorTestKit> kits() {
        return List.copyOf(kits);
    }

    public List<FedPipeNode.Started> started() {
        return List.copyOf(started);
    }

    /** Until every node sees every node as a member with status Up. */
    public void awaitMembersUp(Duration limit) {
        TestProbe<Object> probe = kits.get(0).createTestProbe();
        probe.awaitAssert(limit, Duration.ofMillis(200), () -> {
            for (ActorTestKit kit : kits) {
                var members = new ArrayList<Member>();
                Cluster.get(kit.system()).state().getMembers().forEach(members::add);
                assertEquals(kits.size(), members.size());
                assertTrue(members.stream().allMatch(m -> m.status() == MemberStatus.up()), members.toString());
            }
            return null;
        });
    }

    /** The seed node's Artery address. */
    public Address first() {
        return first;
    }

    @Override
    public void close() {
        for (int i = kits.size() - 1; i >= 0; i--) {
            kits.get(i).shutdownTestKit();
        }
    }
}
