package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.protocol.SchedulerProtocol.CancelJob;
import io.fedpipe.cluster.protocol.SchedulerProtocol.Command;
import io.fedpipe.cluster.protocol.SchedulerProtocol.GetJob;
import io.fedpipe.cluster.protocol.SchedulerProtocol.GetNodes;
import io.fedpipe.cluster.protocol.SchedulerProtocol.ListJobs;
import io.fedpipe.cluster.protocol.SchedulerProtocol.SubmitJob;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The control plane (DESIGN.md §2): a cluster singleton that journals nodes and jobs and drives
 * every job through JobProtocol's flow; the between-round decisions are the round loop's
 * (the simulator runs the same loop), called from here through {@link JobDecisions}.
 * <pre>
 *  SubmitJob ─▶ JobSubmitted ─▶ PrepareJob to each participant (shard i of n; importance probe)
 *  JobPrepared/JobRefused from all (or prepare-timeout) ─▶ loop Start: PlanChosen, RoundOpened(1)
 *      ─▶ OpenRound to every partition "jobId/p" (sharding)
 *  RoundClosed from every partition ─▶ PartitionClosed… ─▶ loop RoundDone: [NodeSlowed] [PlanChanged]
 *      RoundOpened(r+1), or JobFinished ─▶ FinishJob
 * </pre>
 * Nodes come from {@link Membership} (registrations, the trainer listing, member events). After a
 * restart the scheduler re-issues the open round once its trainers registered again (or after
 * {@code recovery-grace}); the aggregator treats an OpenRound for a round it knows idempotently.
 */
public final class Scheduler extends EventSourcedBehavior<Command, SchedulerEvent, SchedulerState> {

    /** A trainer's or a partition's answer (through the message adapter the data plane replies to). */
    record FromDataPlane(JobProtocol.SchedulerEvent event) implements Command {}

    /** Preparation is over for the job: it starts with the nodes that prepared it. */
    record PrepareTimedOut(String jobId) implements Command {}

    private record PrepareCheck(String jobId) implements Command {}

    /** Every partition closed the job's open round: the loop decides what comes next. */
    private record Advance(String jobId) implements Command {}

    record ResumeJob(String jobId) implements Command {}

    /** The open round should have closed by now (its deadline and a margin have passed). */
    record RoundOverdue(String jobId, int round) implements Command {}

    private enum RecoveryGraceOver implements Command { INSTANCE }

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final SchedulerSettings settings;
    /** Not journaled: references, sessions and jobs to resume (see LiveView for why). */
    private final LiveView live = new LiveView();
    private final NodeChanges nodes;
    private final DataPlaneAnswers answers;
    private final JobLifecycle jobs;

    public static Behavior<Command> create(SchedulerSettings settings) {
        return create(settings, null);
    }

    /** With {@code partitions} standing in for sharding (tests); null: Cluster Sharding. */
    static Behavior<Command> create(SchedulerSettings settings, JobDispatch.Partitions partitions) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Scheduler(ctx, timers, settings, partitions)));
    }

    private Scheduler(ActorContext<Command> ctx, TimerScheduler<Command> timers, SchedulerSettings settings,
            JobDispatch.Partitions partitions) {
        // A journal that fails (database down, schema missing) restarts the scheduler with back-off
        // instead of stopping it: the singleton must come back by itself.
        super(PersistenceId.ofUniqueId(settings.persistenceId()),
                SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2));
        this.ctx = ctx;
        this.timers = timers;
        this.settings = settings;
        ActorRef<Command> self = ctx.getSelf();
        JobDispatch dispatch = new JobDispatch(ctx.getLog(), timers, partitions != null ? partitions
                : JobDispatch.Partitions.sharding(ctx.getSystem(), ctx.getLog()),
                ctx.messageAdapter(JobProtocol.SchedulerEvent.class, FromDataPlane::new), settings.device());
        this.jobs = new JobLifecycle(self, timers, settings, live, dispatch, ctx.getLog());
        this.nodes = new NodeChanges(live, ctx.getLog(), jobs,
                s -> s.jobs().keySet().forEach(id -> self.tell(new PrepareCheck(id))));
        this.answers = new DataPlaneAnswers(live, ctx.getLog(), id -> self.tell(new PrepareCheck(id)),
                id -> self.tell(new Advance(id)));
        ctx.spawn(Membership.create(self), "membership");
    }

    @Override
    public SchedulerState emptyState() {
        return SchedulerState.empty();
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
    }

    /** Recovered: the jobs in flight wait for their nodes to register again, at most the recovery grace. */
    @Override
    public SignalHandler<SchedulerState> signalHandler() {
        return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), state -> {
            Set<String> inFlight = new TreeSet<>();
            state.jobs().values().stream().filter(j -> !j.state().over()).forEach(j -> inFlight.add(j.job().jobId()));
            live.resumeLater(inFlight);
            ctx.getLog().info("scheduler recovered: {} nodes, {} jobs, {} in flight", state.nodes().size(),
                    state.jobs().size(), inFlight.size());
            // Also without jobs in flight: nodes the journal says are up but that died with the previous
            // scheduler never produce a cluster event here; the grace decides they left.
            if (!inFlight.isEmpty() || !state.upNodes().isEmpty()) {
                timers.startSingleTimer(RecoveryGraceOver.INSTANCE, settings.recoveryGrace());
            }
        }).build();
    }

    @Override
    public EventHandler<SchedulerState, SchedulerEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(SchedulerState::apply);
    }

    @Override
    public CommandHandler<Command, SchedulerEvent, SchedulerState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Membership.NodeRegistered.class, (s, c) -> run(nodes.registered(s, c)))
                .onCommand(Membership.TrainersChanged.class, (s, c) -> run(nodes.trainersChanged(s, c)))
                .onCommand(Membership.MemberGone.class, (s, c) -> run(nodes.memberGone(s, c)))
                .onCommand(Membership.MemberBack.class, (s, c) -> run(nodes.memberBack(s, c)))
                .onCommand(SubmitJob.class, (s, c) -> run(jobs.submit(s, c)))
                .onCommand(FromDataPlane.class, (s, c) -> run(answers.handle(s, c.event())))
                .onCommand(PrepareCheck.class, (s, c) -> run(jobs.start(s, c.jobId(), false)))
                .onCommand(PrepareTimedOut.class, (s, c) -> run(jobs.start(s, c.jobId(), true)))
                .onCommand(Advance.class, (s, c) -> run(jobs.advance(s, c.jobId())))
                .onCommand(RecoveryGraceOver.class, (s, c) -> run(recoveryGraceOver(s)))
                .onCommand(ResumeJob.class, (s, c) -> run(jobs.resume(s, c.jobId())))
                .onCommand(RoundOverdue.class, this::onRoundOverdue)
                .onCommand(CancelJob.class, (s, c) -> run(jobs.cancel(s, c)))
                .onCommand(GetJob.class, (s, c) -> Effect().reply(c.replyTo(), SchedulerViews.status(s, c.jobId())))
                .onCommand(ListJobs.class, (s, c) -> Effect().reply(c.replyTo(), SchedulerViews.list(s)))
                .onCommand(GetNodes.class, (s, c) -> Effect().reply(c.replyTo(),
                        SchedulerViews.nodes(s, id -> live.trainerOf(id) != null)))
                .build();
    }

    /** Persists the outcome's events (none is fine), then runs what follows with the state after them. */
    private Effect<SchedulerEvent, SchedulerState> run(Outcome o) {
        return Effect().persist(o.events()).thenRun(s -> o.then().accept(s));
    }

    private Effect<SchedulerEvent, SchedulerState> onRoundOverdue(SchedulerState state, RoundOverdue c) {
        jobs.overdue(state, c.jobId(), c.round());
        return Effect().none();
    }

    /**
     * The recovery grace is over: a node the journal says is up but that did not register with this
     * scheduler died with the previous one (or while there was none) and has left; then every job still
     * waiting resumes with the nodes that are here.
     */
    private Outcome recoveryGraceOver(SchedulerState s) {
        Outcome left = nodes.unregisteredLeft(s, settings.recoveryGrace().toSeconds());
        return new Outcome(left.events(), after -> {
            left.then().accept(after);
            live.toResume().forEach(id -> ctx.getSelf().tell(new ResumeJob(id)));
            live.resumedAll();
        });
    }
}
