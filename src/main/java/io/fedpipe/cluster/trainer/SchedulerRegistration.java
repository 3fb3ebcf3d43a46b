package io.fedpipe.cluster.trainer;

import io.fedpipe.cluster.protocol.JobProtocol.TrainerCommand;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.protocol.NodeProtocol;
import io.fedpipe.cluster.protocol.ServiceKeys;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The trainer's child that registers its node with every scheduler: the ones it finds through
 * {@link ServiceKeys#SCHEDULER} and any the trainer is told about; each gets one
 * {@link NodeProtocol.Register} naming the trainer. A child, because the cluster receptionist
 * fails when one reference both registers (the trainer does) and subscribes, and message adapters
 * share their actor's reference.
 */
final class SchedulerRegistration extends AbstractBehavior<SchedulerRegistration.Command> {

    sealed interface Command {}

    /** A scheduler to register with (sent on by the trainer). */
    record Available(ActorRef<NodeProtocol.Register> scheduler) implements Command {}

    private record Listed(Receptionist.Listing listing) implements Command {}

    private record Registered(NodeProtocol.Registered reply) implements Command {}

    static Behavior<Command> create(NodeProfile profile, ActorRef<TrainerCommand> trainer) {
        return Behaviors.setup(ctx -> new SchedulerRegistration(ctx, profile, trainer));
    }

    private final NodeProfile profile;
    private final ActorRef<TrainerCommand> trainer;
    private final ActorRef<NodeProtocol.Registered> replyTo;
    private final Set<ActorRef<NodeProtocol.Register>> schedulers = new HashSet<>();

    private SchedulerRegistration(ActorContext<Command> ctx, NodeProfile profile, ActorRef<TrainerCommand> trainer) {
        super(ctx);
        this.profile = profile;
        this.trainer = trainer;
        this.replyTo = ctx.messageAdapter(NodeProtocol.Registered.class, Registered::new);
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(ServiceKeys.SCHEDULER,
                ctx.messageAdapter(Receptionist.Listing.class, Listed::new)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Available.class, m -> register(m.scheduler()))
                .onMessage(Listed.class, this::onListed)
                .onMessage(Registered.class, this::onRegistered)
                .build();
    }

    private Behavior<Command> onListed(Listed m) {
        m.listing().getServiceInstances(ServiceKeys.SCHEDULER).forEach(this::register);
        return this;
    }

    private Behavior<Command> register(ActorRef<NodeProtocol.Register> scheduler) {
        if (schedulers.add(scheduler)) {
            scheduler.tell(new NodeProtocol.Register(profile, replyTo, trainer));
            getContext().getLog().info("trainer {}: registering with scheduler {}", profile.nodeId(), scheduler.path());
        }
        return this;
    }

    private Behavior<Command> onRegistered(Registered m) {
        getContext().getLog().info("trainer {}: registered; the scheduler knows {} nodes", m.reply().nodeId(),
                m.reply().knownNodes());
        return this;
    }
}
