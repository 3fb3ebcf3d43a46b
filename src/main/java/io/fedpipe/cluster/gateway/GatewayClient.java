package io.fedpipe.cluster.gateway;

import io.fedpipe.cluster.protocol.GatewayProtocol;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fedpipe.cluster.config.NodeConfig;
import io.fedpipe.cluster.config.SeedNode;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.ActorPath;
import org.apache.pekko.actor.ActorPaths;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.client.ClusterClient;
import org.apache.pekko.cluster.client.ClusterClientSettings;
import org.apache.pekko.pattern.Patterns;

/**
 * A client outside the cluster (the CLI): a client-only actor system (remote, no cluster role)
 * with a Pekko {@link ClusterClient} to the contact nodes' receptionists. Cluster Client is
 * deprecated upstream in favour of Pekko gRPC; {@link GatewayProtocol} stays transport-neutral
 * so that another transport can replace this class.
 */
@SuppressWarnings("deprecation")
public final class GatewayClient implements AutoCloseable {

    private final ActorSystem system;
    private final ActorRef client;
    private final List<String> contacts;

    private GatewayClient(ActorSystem system, ActorRef client, List<String> contacts) {
        this.system = system;
        this.client = client;
        this.contacts = List.copyOf(contacts);
    }

    /**
     * Connects to {@code contacts} ({@code host:port} of cluster nodes' Artery endpoints) of the
     * cluster named {@code clusterName}; {@code clientHost} is the address the cluster answers to.
     */
    public static GatewayClient connect(List<String> contacts, String clusterName, String clientHost) {
        if (contacts.isEmpty()) {
            throw new IllegalArgumentException("--contact: give at least one host:port of a cluster node");
        }
        Set<ActorPath> initial = new HashSet<>();
        for (String c : contacts) {
            SeedNode n;
            try {
                n = SeedNode.parse(c.strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--contact: " + e.getMessage(), e);
            }
            initial.add(ActorPaths.fromString("pekko://" + clusterName + "@" + n.host() + ":" + n.port()
                    + "/system/receptionist"));
        }
        Config config = ConfigFactory.parseString(String.join("\n",
                "pekko.actor.provider = remote",
                "pekko.remote.artery.canonical.hostname = \"" + clientHost + "\"",
                "pekko.remote.artery.canonical.port = 0",
                // A command-line tool: no log lines on stdout, only errors on stderr.
                "pekko.loglevel = ERROR",
                "pekko.stdout-loglevel = OFF",
                "pekko.log-dead-letters = off",
                "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off"))
                .withFallback(NodeConfig.layered(ConfigFactory.empty()));
        ActorSystem system = ActorSystem.create("fedpipe-client", config);
        ActorRef client = system.actorOf(ClusterClient.props(ClusterClientSettings.create(system)
                .withInitialContacts(initial)), "client");
        return new GatewayClient(system, client, contacts);
    }

    /** Sends {@code request} to the gateway and waits for its answer; a {@link TimeoutException} when none came. */
    public GatewayProtocol.Reply ask(GatewayProtocol.Request request, Duration timeout)
            throws TimeoutException, InterruptedException {
        try {
            Object reply = Patterns.ask(client, new ClusterClient.Send(ClusterClientEndpoint.PATH, request, true), timeout)
                    .toCompletableFuture().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            if (reply instanceof GatewayProtocol.Reply r) {
                return r;
            }
            throw new IllegalStateException("unexpected answer from the gateway: " + reply);
        } catch (ExecutionException e) {
            throw new TimeoutException("no answer from the cluster at " + String.join(", ", contacts) + " within "
                    + timeout.toSeconds() + " s (is a node with the gateway role up there?)");
        }
    }

    @Override
    public void close() {
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // Closing is best effort: the JVM exits next in the CLI.
        }
    }
}
