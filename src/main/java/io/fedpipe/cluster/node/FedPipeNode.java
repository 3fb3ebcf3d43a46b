package io.fedpipe.cluster.node;

import io.fedpipe.profile.MeasuredProfile;

import ai.djl.Device;
import com.typesafe.config.Config;
import io.fedpipe.cluster.aggregator.Aggregator;
import io.fedpipe.core.NodeResources;
import io.fedpipe.cluster.protocol.NodeRole;
import io.fedpipe.cluster.config.NodeSettings;
import io.fedpipe.cluster.config.SeedNode;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.trainer.Trainer;
import io.fedpipe.cluster.wire.WireRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a FedPipe node: its actor system, the embedded journal's schema, Pekko Management, the
 * join of the seed nodes, the aggregator's sharding and, on an edge node, its trainer. {@link #start} is what {@code fedpipe node} runs; {@link #init} is
 * the part after the actor system exists, which multi-node tests call with their own seeds.
 * Stopping is Pekko's coordinated shutdown (SIGTERM runs it): the member leaves, then the
 * management endpoint unbinds.
 */
public final class FedPipeNode {

    private static final Logger log = LoggerFactory.getLogger(FedPipeNode.class);

    /** What a started node reports. */
    public record Started(Address address, String managementUri) {}

    private FedPipeNode() {}

    /** Creates the actor system and initialises it; the stage completes once management is bound. */
    public static Running start(NodeSettings settings, Config nodeConfig) {
        trainerDevice(settings);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), settings.clusterName(),
                settings.systemConfig(nodeConfig));
        List<Address> seeds = settings.seedNodes().stream().map(s -> s.address(settings.clusterName())).toList();
        return new Running(system, init(system, settings, seeds));
    }

    /** A node's actor system and the stage that completes when it is fully started. */
    public record Running(ActorSystem<Void> system, CompletionStage<Started> started) {

        /** Completes once the actor system has terminated (coordinated shutdown, SIGTERM, downed). */
        public CompletableFuture<Void> terminated() {
            return system.getWhenTerminated().toCompletableFuture().thenApply(done -> null);
        }

        /** Stops the node without waiting. */
        public void stop() {
            system.terminate();
        }
    }

    /**
     * Everything a node does once its actor system exists: creates the H2 schema when configured,
     * starts its part of the control plane ({@link ControlPlane}), binds Pekko Management, joins
     * {@code seeds}, then logs one line with its address, roles and management URL.
     */
    public static CompletionStage<Started> init(ActorSystem<?> system, NodeSettings settings, List<Address> seeds) {
        Device device = trainerDevice(settings);
        CompletionStage<Done> schema = settings.createH2Schema()
                ? SchemaUtils.createIfNotExists(system)
                : CompletableFuture.completedFuture(Done.getInstance());
        PekkoManagement management = PekkoManagement.get(system);
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "fedpipe-management-stop",
                management::stop);
        Cluster.get(system).manager().tell(new JoinSeedNodes(seeds));
        // The scheduler recovers from the journal and the aggregator partitions from their checkpoints,
        // so both start once the schema exists. Every node routes to the partitions; those with the
        // aggregator role host them.
        return schema.thenApply(done -> {
            Aggregator.initSharding(system);
            if (settings.has(NodeRole.EDGE)) {
                system.systemActorOf(Trainer.create(profile(settings), settings.dataDir(), device), Trainer.NAME, Props.empty());
            }
            return ControlPlane.init(system, settings.roles());
        }).thenCompose(cp -> management.start()).thenApply(uri -> {
            Address self = Cluster.get(system).selfMember().address();
            String roles = settings.roles().stream().map(NodeRole::key).collect(Collectors.joining(","));
            log.info("fedpipe node {} at {} roles [{}] management {} seeds {} wire {}", settings.name(), self, roles,
                    uri, seeds.stream().map(Address::toString).collect(Collectors.joining(",")),
                    WireRegistry.fromConfig(system.settings().config()).fingerprint());
            return new Started(self, uri.toString());
        });
    }

    /**
     * The device an edge node trains on (null without the edge role); throws with one line when the
     * configured device is absent, before anything starts.
     */
    static Device trainerDevice(NodeSettings settings) {
        return settings.has(NodeRole.EDGE) ? settings.trainer().resolveDevice() : null;
    }

    /** What this node tells the scheduler about itself. */
    public static NodeProfile profile(NodeSettings settings) {
        NodeResources r = settings.resources();
        MeasuredProfile p = settings.profile();
        NodeProfile.Measured measured = p == null ? null
                : new NodeProfile.Measured(p.fp32Tflops(), p.halfUtilizationTokens(), p.slowdown());
        return new NodeProfile(settings.name(), settings.roles(), r.memoryBytes(), r.uplinkMbps(), r.downlinkMbps(),
                r.computeScale(), r.threads(), measured);
    }

    /** The seed addresses of {@code settings}, for callers that join by themselves. */
    public static List<Address> seedAddresses(NodeSettings settings) {
        return settings.seedNodes().stream().map((SeedNode s) -> s.address(settings.clusterName())).toList();
    }
}
