package io.fedpipe.cluster.node;

import io.fedpipe.cluster.protocol.SchedulerProtocol;

import io.fedpipe.cluster.protocol.NodeRole;
import io.fedpipe.cluster.gateway.ClusterClientEndpoint;
import io.fedpipe.cluster.gateway.GatewaySettings;
import io.fedpipe.cluster.gateway.JobGateway;
import io.fedpipe.cluster.scheduler.Scheduler;
import io.fedpipe.cluster.scheduler.SchedulerAccess;
import io.fedpipe.cluster.scheduler.SchedulerSettings;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.client.ClusterClientReceptionist;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The control plane on one node: the scheduler singleton (hosted by the oldest node with role
 * {@code scheduler}, reached through a proxy on every node), the job gateway on nodes with role
 * {@code gateway} or {@code scheduler}, registered with the ClusterClientReceptionist (which runs
 * on every node, so any node can be a client's contact). The scheduler's proxy and the ask
 * timeout are kept in {@link SchedulerAccess} (the scheduler's package), where the management
 * routes and the readiness check read them without depending on this wiring package; this
 * extension only hands them on.
 */
public final class ControlPlane implements Extension {

    /** The singleton's name (its path is /system/singletonManagerfedpipe-scheduler/fedpipe-scheduler). */
    public static final String SCHEDULER_NAME = "fedpipe-scheduler";

    private final SchedulerAccess access;

    private ControlPlane(SchedulerAccess access) {
        this.access = access;
    }

    public static final class Id extends ExtensionId<ControlPlane> {
        private static final Id INSTANCE = new Id();

        @Override
        public ControlPlane createExtension(ActorSystem<?> system) {
            return new ControlPlane(SchedulerAccess.get(system));
        }
    }

    public static ControlPlane get(ActorSystem<?> system) {
        return Id.INSTANCE.apply(system);
    }

    /** Starts this node's part of the control plane (call once, after the journal's schema exists). */
    @SuppressWarnings("deprecation")
    public static ControlPlane init(ActorSystem<?> system, Set<NodeRole> roles) {
        SchedulerSettings settings = SchedulerSettings.fromConfig(system.settings().config());
        GatewaySettings gateway = GatewaySettings.fromConfig(system.settings().config());
        ControlPlane cp = get(system);
        ActorRef<SchedulerProtocol.Command> scheduler = ClusterSingleton.get(system).init(
                SingletonActor.of(Scheduler.create(settings), SCHEDULER_NAME)
                        .withSettings(ClusterSingletonSettings.create(system).withRole(NodeRole.SCHEDULER.key())));
        cp.access.started(scheduler, gateway.askTimeout(), roles.contains(NodeRole.SCHEDULER));
        ClusterClientReceptionist receptionist = ClusterClientReceptionist.get(Adapter.toClassic(system));
        if (roles.contains(NodeRole.GATEWAY) || roles.contains(NodeRole.SCHEDULER)) {
            // A global-model fetch asks the scheduler, then the partitions: half the ask timeout each,
            // so the whole answer still fits in the endpoint's ask timeout.
            ActorRef<JobGateway.Request> jobs = system.systemActorOf(JobGateway.create(scheduler,
                    gateway.askTimeout().dividedBy(2)),
                    "fedpipe-job-gateway", Props.empty());
            org.apache.pekko.actor.ActorRef endpoint = ((org.apache.pekko.actor.ExtendedActorSystem) Adapter.toClassic(system)).systemActorOf(
                    ClusterClientEndpoint.props(jobs, gateway.askTimeout()), "fedpipe-gateway");
            receptionist.registerService(endpoint);
        }
        return cp;
    }

    /** The scheduler singleton's proxy, once {@link #init} ran on this node. */
    public Optional<ActorRef<SchedulerProtocol.Command>> scheduler() {
        return access.scheduler();
    }

    public Duration askTimeout() {
        return access.askTimeout();
    }

    public boolean schedulerRole() {
        return access.schedulerRole();
    }
}
