package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.protocol.SchedulerProtocol;

import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * This node's way to the scheduler singleton: its proxy and the ask timeout, set once when the
 * node starts its control plane. The management routes and the readiness check read it here, so
 * they depend on the scheduler's package and not on the package that wires the node together.
 */
public final class SchedulerAccess implements Extension {

    private volatile ActorRef<SchedulerProtocol.Command> scheduler;
    private volatile Duration askTimeout = Duration.ofSeconds(10);
    private volatile boolean schedulerRole;

    private SchedulerAccess() {}

    public static final class Id extends ExtensionId<SchedulerAccess> {
        private static final Id INSTANCE = new Id();

        @Override
        public SchedulerAccess createExtension(ActorSystem<?> system) {
            return new SchedulerAccess();
        }
    }

    public static SchedulerAccess get(ActorSystem<?> system) {
        return Id.INSTANCE.apply(system);
    }

    /** Called once by the node's start-up, after the singleton proxy exists. */
    public void started(ActorRef<SchedulerProtocol.Command> proxy, Duration askTimeout, boolean schedulerRole) {
        this.askTimeout = askTimeout;
        this.schedulerRole = schedulerRole;
        this.scheduler = proxy;
    }

    /** The scheduler singleton's proxy, once the node's control plane is started. */
    public Optional<ActorRef<SchedulerProtocol.Command>> scheduler() {
        return Optional.ofNullable(scheduler);
    }

    public Duration askTimeout() {
        return askTimeout;
    }

    /** Whether this node may host the singleton (role {@code scheduler}). */
    public boolean schedulerRole() {
        return schedulerRole;
    }
}
