package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.protocol.JobProtocol.TrainerCommand;
import io.fedpipe.cluster.protocol.NodeProtocol;
import io.fedpipe.cluster.protocol.SchedulerProtocol;
import io.fedpipe.cluster.protocol.ServiceKeys;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The scheduler's view of the cluster, kept apart from its journal: node registrations, the
 * trainers the Receptionist lists, and member events. It turns them into what the scheduler
 * decides on ({@link NodeRegistered}, {@link TrainersChanged}, {@link MemberGone},
 * {@link MemberBack}), each with the new {@link Roster}. A child of the scheduler: it dies and
 * starts with it, so after a fail-over nodes register again with the new incarnation.
 */
final class Membership extends AbstractBehavior<Membership.Command> {

    interface Command {}

    private record Registering(NodeProtocol.Register register) implements Command {}

    private record TrainersListed(Receptionist.Listing listing) implements Command {}

    private record Gone(UniqueAddress member, String reason) implements Command {}

    private record Back(Address address) implements Command {}

    // ---- what the scheduler is told --------------------------------------------------------

    /** {@code restarted}: a new trainer registered for a node whose earlier trainer had not left. */
    record NodeRegistered(NodeProtocol.Register register, boolean restarted, Roster roster)
            implements SchedulerProtocol.Command {}

    /** The listing changed: {@code lost} nodes no longer have a listed trainer, {@code gained} now have one. */
    record TrainersChanged(Set<String> lost, Set<String> gained, Roster roster) implements SchedulerProtocol.Command {}

    /** The member of these nodes is unreachable or removed (not an old incarnation's event). */
    record MemberGone(Set<String> nodes, String reason, Roster roster) implements SchedulerProtocol.Command {}

    /** The member of these nodes is reachable again. */
    record MemberBack(Set<String> nodes, Roster roster) implements SchedulerProtocol.Command {}

    private final ActorRef<SchedulerProtocol.Command> scheduler;
    private final Map<String, NodeProtocol.Register> registrations = new HashMap<>();
    private Set<ActorRef<TrainerCommand>> listed = Set.of();

    static Behavior<Command> create(ActorRef<SchedulerProtocol.Command> scheduler) {
        return Behaviors.setup(ctx -> new Membership(ctx, scheduler));
    }

    private Membership(ActorContext<Command> ctx, ActorRef<SchedulerProtocol.Command> scheduler) {
        super(ctx);
        this.scheduler = scheduler;
        // A child registers, not an adapter: all of an actor's message adapters share one reference,
        // and the cluster receptionist fails when one reference both registers and subscribes.
        ActorRef<Command> self = ctx.getSelf();
        ActorRef<NodeProtocol.Register> registrar = ctx.spawn(Behaviors.<NodeProtocol.Register>receiveMessage(r -> {
            self.tell(new Registering(r));
            return Behaviors.same();
        }), "registrar");
        ctx.getSystem().receptionist().tell(Receptionist.register(ServiceKeys.SCHEDULER, registrar));
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(ServiceKeys.TRAINER,
                ctx.messageAdapter(Receptionist.Listing.class, TrainersListed::new)));
        Cluster cluster = Cluster.get(ctx.getSystem());
        cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.MemberRemoved.class,
                e -> new Gone(e.member().uniqueAddress(), "member removed")), ClusterEvent.MemberRemoved.class));
        cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.UnreachableMember.class,
                e -> new Gone(e.member().uniqueAddress(), "unreachable")), ClusterEvent.UnreachableMember.class));
        cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.ReachableMember.class,
                e -> new Back(e.member().address())), ClusterEvent.ReachableMember.class));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Registering.class, this::onRegistering)
                .onMessage(TrainersListed.class, this::onListed)
                .onMessage(Gone.class, this::onGone)
                .onMessage(Back.class, this::onBack)
                .build();
    }

    private Roster roster() {
        return new Roster(registrations, listed);
    }

    private Behavior<Command> onRegistering(Registering c) {
        NodeProtocol.Register before = registrations.put(c.register().profile().nodeId(), c.register());
        boolean restarted = before != null && before.trainer() != null && c.register().trainer() != null
                && !before.trainer().equals(c.register().trainer());
        scheduler.tell(new NodeRegistered(c.register(), restarted, roster()));
        return this;
    }

    private Behavior<Command> onListed(TrainersListed c) {
        Set<String> before = roster().eligible();
        listed = Set.copyOf(c.listing().getServiceInstances(ServiceKeys.TRAINER));
        Roster now = roster();
        Set<String> lost = new TreeSet<>(before);
        lost.removeAll(now.eligible());
        Set<String> gained = new TreeSet<>(now.eligible());
        gained.removeAll(before);
        scheduler.tell(new TrainersChanged(lost, gained, now));
        return this;
    }

    private Behavior<Command> onGone(Gone c) {
        Address address = c.member().address();
        // A node restarted on the same host and port: the event is about its old incarnation, and the
        // registrations at this address are the new one's (an address carries no incarnation).
        for (Member m : Cluster.get(getContext().getSystem()).state().getMembers()) {
            if (m.address().equals(address) && !m.uniqueAddress().equals(c.member())
                    && m.status() != MemberStatus.removed() && m.status() != MemberStatus.down()) {
                getContext().getLog().info("{} of an old incarnation of {}; a new one is a member", c.reason(), address);
                return this;
            }
        }
        Set<String> nodes = roster().at(address);
        if (c.reason().equals("member removed")) {
            registrations.keySet().removeAll(nodes);
        }
        scheduler.tell(new MemberGone(nodes, c.reason(), roster()));
        return this;
    }

    private Behavior<Command> onBack(Back c) {
        scheduler.tell(new MemberBack(roster().at(c.address()), roster()));
        return this;
    }
}
