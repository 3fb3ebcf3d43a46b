package io.fedpipe.cluster.aggregator;

import io.fedpipe.cluster.protocol.ServiceKeys;
import io.fedpipe.job.JobSpec;
import io.fedpipe.aggregation.StrategyKind;
import io.fedpipe.cluster.protocol.JobProtocol.AggregatorCommand;
import io.fedpipe.cluster.protocol.JobProtocol.FinishJob;
import io.fedpipe.cluster.protocol.JobProtocol.GetGlobal;
import io.fedpipe.cluster.protocol.JobProtocol.GlobalSlice;
import io.fedpipe.cluster.protocol.JobProtocol.OpenRound;
import io.fedpipe.cluster.protocol.JobProtocol.RoundClosed;
import io.fedpipe.cluster.protocol.JobProtocol.SchedulerEvent;
import io.fedpipe.cluster.protocol.RoundProtocol.DeltaUpload;
import io.fedpipe.cluster.protocol.RoundProtocol.RoundAssignment;
import io.fedpipe.cluster.protocol.RoundProtocol.RoundDeclined;
import io.fedpipe.cluster.protocol.RoundProtocol.TrainerReply;
import io.fedpipe.round.GlobalModel;
import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.RoundEngine;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.state.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.state.javadsl.DurableStateBehavior;
import org.apache.pekko.persistence.typed.state.javadsl.Effect;

/**
 * One aggregator partition of one job: a Cluster Sharding entity {@code jobId/partition} that owns
 * the global adapters of the matrices {@code JobProtocol.partitionOf} maps to it (and, in
 * partition 0, the head), runs each round's barrier and checkpoints the global model when a round
 * closes. The round logic is {@link RoundEngine}'s; this actor only moves its inputs and outputs.
 *
 * <p>Persistence is Pekko's durable state (one row per entity, replaced each round), not an event
 * journal: the global model is a checkpoint, and replaying a list of full models would only grow.
 * The open round is kept in memory ({@link RoundBarrier}); after a restart or a move the entity
 * holds the last closed round's global, and the scheduler re-issues the open round.
 *
 * <p>Rounds are the job's, 1..n, as the scheduler numbers them: with {@code roundsDone} rounds
 * closed (the checkpoint's count) the partition opens round {@code roundsDone + 1}, and answers an
 * {@code OpenRound} for round {@code roundsDone} again from the checkpoint.
 *
 * <p>Deltas are taken as {@link DeltaIntake} says (duplicate, stale, validated on arrival by the
 * strategy); norms far from the other nodes' can only be judged at the close, and those
 * rejections are in {@code RoundClosed}.
 */
public final class Aggregator extends DurableStateBehavior<AggregatorCommand, AggregatorState> {

    public static final EntityTypeKey<AggregatorCommand> TYPE_KEY =
            EntityTypeKey.create(AggregatorCommand.class, ServiceKeys.AGGREGATOR_TYPE_NAME);

    /** Entities run on nodes with this cluster role. */
    public static final String ROLE = "aggregator";

    /**
     * Anyone to a partition: unload now (rebalancing, memory, tests). The checkpoint stays; the
     * next message to {@code jobId/partition} starts the entity again from it.
     */
    public record Passivate(String jobId, int partition) implements AggregatorCommand {}

    /** Sent by the local shard when the entity is handed off or passivated. */
    private record Stop() implements AggregatorCommand {}

    /** The open round's deadline. */
    private record Deadline(int round) implements AggregatorCommand {}

    public static String entityId(String jobId, int partition) {
        return jobId + "/" + partition;
    }

    /** Registers the entity type; call on every node (nodes without the role only route to it). */
    public static void initSharding(ActorSystem<?> system) {
        ClusterSharding.get(system).init(Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId(), ctx.getShard()))
                .withRole(ROLE).withStopMessage(new Stop()));
    }

    /** The partition's entity, wherever it runs. */
    public static EntityRef<AggregatorCommand> ref(ActorSystem<?> system, String jobId, int partition) {
        return ClusterSharding.get(system).entityRefFor(TYPE_KEY, entityId(jobId, partition));
    }

    static Behavior<AggregatorCommand> create(String entityId,
            ActorRef<ClusterSharding.ShardCommand> shard) {
        int slash = entityId.lastIndexOf('/');
        int partition;
        try {
            partition = Integer.parseInt(entityId.substring(slash + 1));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("aggregator entity id must be jobId/partition, got '" + entityId + "'");
        }
        String jobId = entityId.substring(0, Math.max(slash, 0));
        return Behaviors.setup(ctx -> Behaviors.withTimers(
                timers -> new Aggregator(ctx, timers, shard, jobId, partition, PersistenceId.of(TYPE_KEY.name(), entityId))));
    }

    private final ActorContext<AggregatorCommand> ctx;
    private final TimerScheduler<AggregatorCommand> timers;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    private final String jobId;
    private final int partition;
    /** The job of the open round (the checkpoint has it once a round closed). */
    private JobSpec job;
    private RoundEngine engine;
    private RoundBarrier open;
    private ActorRef<SchedulerEvent> scheduler;

    private Aggregator(ActorContext<AggregatorCommand> ctx, TimerScheduler<AggregatorCommand> timers,
            ActorRef<ClusterSharding.ShardCommand> shard, String jobId, int partition, PersistenceId id) {
        super(id);
        this.ctx = ctx;
        this.timers = timers;
        this.shard = shard;
        this.jobId = jobId;
        this.partition = partition;
    }

    @Override
    public AggregatorState emptyState() {
        return AggregatorState.empty(partition);
    }

    @Override
    public CommandHandler<AggregatorCommand, AggregatorState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(OpenRound.class, this::onOpenRound)
                .onCommand(DeltaUpload.class, this::onDelta)
                .onCommand(RoundDeclined.class, this::onDeclined)
                .onCommand(Deadline.class, this::onDeadline)
                .onCommand(GetGlobal.class, this::onGetGlobal)
                .onCommand(FinishJob.class, (s, c) -> passivate("job finished: " + c.reason()))
                .onCommand(Passivate.class, (s, c) -> passivate("asked to passivate"))
                .onCommand(Stop.class, (s, c) -> Effect().stop())
                .build();
    }

    private Effect<AggregatorState> onOpenRound(AggregatorState state, OpenRound cmd) {
        if (!cmd.job().jobId().equals(jobId) || cmd.partition() != partition) {
            ctx.getLog().error("{}: OpenRound for {}/{} reached the wrong entity; ignored", name(), cmd.job().jobId(),
                    cmd.partition());
            return Effect().none();
        }
        if (cmd.round() != state.roundsDone() + 1) {
            return notTheNextRound(state, cmd);
        }
        scheduler = cmd.replyTo();
        if (open != null && open.round() == cmd.round()) {
            // Re-issued while open: whoever has not answered gets its slice again (it may have restarted).
            List<String> waiting = open.waitingFor();
            ctx.getLog().info("{}: round {} re-issued; re-sending slices to {}", name(), cmd.round(), waiting);
            for (String node : waiting) {
                sendSlice(cmd, node, RoundBarrier.reassign(engine, cmd.round(), node, cmd.plans(), state.global()));
            }
            return Effect().none();
        }
        try {
            job = cmd.job();
            engine = engine(job);
            RoundBarrier.Opened opened = RoundBarrier.open(engine, cmd.round(), cmd.plans(), state.global(), partition,
                    job.partitions(), job.quorum());
            open = opened.barrier();
            opened.toSend().forEach(a -> sendSlice(cmd, a.nodeId(), a));
        } catch (RuntimeException e) {
            ctx.getLog().error("{}: cannot open round {}: {}", name(), cmd.round(), e.getMessage());
            open = null;
            return Effect().none();
        }
        timers.startSingleTimer("deadline", new Deadline(cmd.round()), Duration.ofMillis(job.roundTimeoutMs()));
        ctx.getLog().info("{}: round {} open for {} nodes, closes at {} deliveries or in {} ms", name(), cmd.round(),
                cmd.plans().size(), open.needed(), job.roundTimeoutMs());
        return maybeClose(state, false);
    }

    private Effect<AggregatorState> notTheNextRound(AggregatorState state, OpenRound cmd) {
        if (cmd.round() == state.roundsDone() && state.lastClosed() != null) {
            // The scheduler re-issues a round it did not see close (it or this entity moved): answer again.
            ctx.getLog().info("{}: round {} is already closed; answering again from the checkpoint", name(),
                    cmd.round());
            return Effect().none().thenRun(s -> cmd.replyTo().tell(s.lastClosed()));
        }
        if (cmd.round() <= state.roundsDone()) {
            ctx.getLog().warn("{}: OpenRound for round {} but {} rounds are closed; ignored", name(), cmd.round(),
                    state.roundsDone());
        } else {
            ctx.getLog().error("{}: OpenRound for round {} but only {} rounds are closed here; round {} must run first",
                    name(), cmd.round(), state.roundsDone(), state.roundsDone() + 1);
        }
        return Effect().none();
    }

    private void sendSlice(OpenRound cmd, String node, NodeAssignment a) {
        ActorRef<RoundAssignment> trainer = cmd.trainers().get(node);
        if (trainer == null) {
            open.fail(node, "the scheduler gave no trainer address for node " + node);
            return;
        }
        trainer.tell(new RoundAssignment(jobId, partition, a, ctx.getSelf().<TrainerReply>narrow()));
    }

    private Effect<AggregatorState> onDelta(AggregatorState state, DeltaUpload up) {
        DeltaIntake.Taken taken = DeltaIntake.take(up, jobId, partition, state.roundsDone(), open, engine,
                state.global());
        up.replyTo().tell(taken.ack());
        return taken.counted() ? maybeClose(state, false) : Effect().none();
    }

    private Effect<AggregatorState> onDeclined(AggregatorState state, RoundDeclined d) {
        String node = d.failure().nodeId();
        if (open == null || d.round() != open.round() || !open.isPlanned(node) || open.hasAnswered(node)) {
            ctx.getLog().info("{}: ignored decline of node {} for round {}: {}", name(), node, d.round(),
                    d.failure().reason());
            return Effect().none();
        }
        open.fail(node, d.failure().reason());
        return maybeClose(state, false);
    }

    private Effect<AggregatorState> onDeadline(AggregatorState state, Deadline d) {
        if (open == null || d.round() != open.round()) {
            return Effect().none();
        }
        return maybeClose(state, true);
    }

    private Effect<AggregatorState> maybeClose(AggregatorState state, boolean deadline) {
        if (!open.canClose() && !(deadline && open.deliveries() > 0)) {
            if (deadline) {
                // Nothing delivered yet: a round never closes empty while someone may still deliver.
                ctx.getLog().warn("{}: round {} reached its deadline with no delta; still waiting for {}", name(),
                        open.round(), open.waitingFor());
                timers.startSingleTimer("deadline", new Deadline(open.round()), Duration.ofMillis(job.roundTimeoutMs()));
            }
            return Effect().none();
        }
        RoundBarrier round = open;
        RoundBarrier.Closed closed = round.close(engine, state.global(),
                "no delta within the round's deadline of " + job.roundTimeoutMs() + " ms");
        RoundClosed summary = new RoundClosed(jobId, partition, round.round(), round.stats(), closed.rejected(),
                closed.failures(), System.currentTimeMillis());
        open = null;
        timers.cancel("deadline");
        ctx.getLog().info("{}: round {} closed with {} deltas, {} failures, {} rejections", name(), round.round(),
                round.deliveries(), closed.failures().size(), closed.rejected().size());
        ActorRef<SchedulerEvent> replyTo = scheduler;
        return Effect().persist(AggregatorState.closed(job, partition, closed.next(), summary))
                .thenRun(s -> replyTo.tell(summary));
    }

    private Effect<AggregatorState> onGetGlobal(AggregatorState state, GetGlobal get) {
        GlobalModel g = state.global();
        get.replyTo().tell(new GlobalSlice(jobId, partition, g.roundsDone(), g.adapters(), g.dense()));
        return Effect().none();
    }

    private Effect<AggregatorState> passivate(String why) {
        ctx.getLog().info("{}: passivating ({})", name(), why);
        timers.cancelAll();
        open = null;
        shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
        return Effect().none();
    }

    private String name() {
        return "aggregator " + entityId(jobId, partition);
    }

    /** The job's round engine over every candidate matrix (so every partition configures plans alike). */
    static RoundEngine engine(JobSpec job) {
        return new RoundEngine(StrategyKind.forCluster(job.strategy()), job.alpha(), JobShapes.of(job));
    }
}
