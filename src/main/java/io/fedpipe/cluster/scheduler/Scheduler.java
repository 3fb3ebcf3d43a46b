package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.config.NodeRole;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.protocol.NodeProtocol;
import io.fedpipe.cluster.protocol.SchedulerProtocol.CancelJob;
import io.fedpipe.cluster.protocol.SchedulerProtocol.Command;
import io.fedpipe.cluster.protocol.SchedulerProtocol.GetJob;
import io.fedpipe.cluster.protocol.SchedulerProtocol.GetNodes;
import io.fedpipe.cluster.protocol.SchedulerProtocol.ListJobs;
import io.fedpipe.cluster.protocol.SchedulerProtocol.SubmitJob;
import io.fedpipe.cluster.scheduler.SchedulerState.JobEntry;
import io.fedpipe.round.RoundLoop;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
 * every job through JobProtocol's flow; the between-round decisions are the {@link RoundLoop}'s
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

    private record FromDataPlane(JobProtocol.SchedulerEvent event) implements Command {}

    /** Preparation is over for the job: it starts with the nodes that prepared it. */
    record PrepareTimedOut(String jobId) implements Command {}

    private record PrepareCheck(String jobId) implements Command {}

    /** Every partition closed the job's open round: the loop decides what comes next. */
    private record Advance(String jobId) implements Command {}

    private record ResumeJob(String jobId) implements Command {}

    /** The open round should have closed by now (its deadline and a margin have passed). */
    record RoundOverdue(String jobId, int round) implements Command {}

    private enum RecoveryGraceOver implements Command { INSTANCE }

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final SchedulerSettings settings;
    private final JobDispatch dispatch;
    /** Not journaled: references, sessions and jobs to resume (see LiveView for why). */
    private final LiveView live = new LiveView();
    private final NodeChanges nodes;
    private final DataPlaneAnswers answers;

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
        this.dispatch = new JobDispatch(ctx.getLog(), timers, partitions != null ? partitions
                : JobDispatch.Partitions.sharding(ctx.getSystem(), ctx.getLog()),
                ctx.messageAdapter(JobProtocol.SchedulerEvent.class, FromDataPlane::new), settings.device());
        this.nodes = new NodeChanges(live, ctx.getLog(), new NodeChanges.Follow() {
            @Override
            public void nodeAvailable(SchedulerState s, String nodeId) {
                Scheduler.this.nodeAvailable(s, nodeId);
            }

            @Override
            public void resumeWhenReady(SchedulerState s) {
                Scheduler.this.resumeWhenReady(s);
            }

            @Override
            public void checkPreparing(SchedulerState s) {
                s.jobs().keySet().forEach(id -> ctx.getSelf().tell(new PrepareCheck(id)));
            }
        });
        this.answers = new DataPlaneAnswers(live, ctx.getLog(), id -> ctx.getSelf().tell(new PrepareCheck(id)),
                id -> ctx.getSelf().tell(new Advance(id)));
        ctx.spawn(Membership.create(ctx.getSelf()), "membership");
    }

    @Override
    public SchedulerState emptyState() {
        return SchedulerState.empty();
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
    }

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
                .onCommand(SubmitJob.class, this::onSubmit)
                .onCommand(FromDataPlane.class, (s, c) -> run(answers.handle(s, c.event())))
                .onCommand(PrepareCheck.class, (s, c) -> start(s, c.jobId(), false))
                .onCommand(PrepareTimedOut.class, (s, c) -> start(s, c.jobId(), true))
                .onCommand(Advance.class, this::onAdvance)
                .onCommand(RecoveryGraceOver.class, (s, c) -> reconcileAndResume(s))
                .onCommand(ResumeJob.class, this::onResume)
                .onCommand(RoundOverdue.class, this::onRoundOverdue)
                .onCommand(CancelJob.class, this::onCancel)
                .onCommand(GetJob.class, (s, c) -> Effect().reply(c.replyTo(), SchedulerViews.status(s, c.jobId())))
                .onCommand(ListJobs.class, (s, c) -> Effect().reply(c.replyTo(), SchedulerViews.list(s)))
                .onCommand(GetNodes.class, (s, c) -> Effect().reply(c.replyTo(),
                        SchedulerViews.nodes(s, id -> live.trainerOf(id) != null)))
                .build();
    }

    /** Persists the outcome's events, then runs what follows from them. */
    private Effect<SchedulerEvent, SchedulerState> run(Outcome o) {
        return Effect().persist(o.events()).thenRun(s -> o.then().accept(s));
    }

    /**
     * A node can train now: send PrepareJob for every unfinished job it takes part in, unless its trainer
     * now listed confirmed the job. For a running job that covers a node that returned (it prepares its
     * own shard again: the data is private and stays with the node) and, after a fail-over, a node the
     * journal says prepared (its trainer answers at once if it still has the job, or loads it again).
     */
    private void nodeAvailable(SchedulerState s, String nodeId) {
        for (JobEntry j : s.jobs().values()) {
            String id = j.job().jobId();
            boolean resumingPreparation = j.state() == RoundLoop.Phase.PREPARING && live.resuming(id);
            if (!j.state().over() && j.participants().contains(nodeId) && !j.refused().containsKey(nodeId)
                    && !live.confirmed(id, nodeId) && !resumingPreparation) {
                prepare(s, j, List.of(nodeId));
            }
        }
    }

    // ---- jobs --------------------------------------------------------------------------------

    private Effect<SchedulerEvent, SchedulerState> onSubmit(SchedulerState state, SubmitJob c) {
        String id = c.job().jobId();
        if (state.jobs().containsKey(id)) {
            return Effect().reply(c.replyTo(), new GatewayProtocol.JobRejected("job id " + id + " is taken"));
        }
        List<String> participants = live.eligible().stream().filter(n -> state.nodes().containsKey(n)
                && state.nodes().get(n).profile().has(NodeRole.EDGE)).sorted().toList();
        if (participants.isEmpty()) {
            return Effect().reply(c.replyTo(), new GatewayProtocol.JobRejected(
                    "no edge node with a trainer has registered with the scheduler; start one and submit again"));
        }
        String refusal = JobDecisions.refusal(c.job());
        try {
            JobPlanning.candidates(c.job());
        } catch (RuntimeException e) {
            refusal = e.getMessage();
        }
        if (refusal != null) {
            return Effect().reply(c.replyTo(), new GatewayProtocol.JobRejected(refusal));
        }
        return Effect().persist(new SchedulerEvent.JobSubmitted(c.job(), c.name(), participants, Instant.now()))
                .thenRun(s -> {
                    ctx.getLog().info("job {} ({}) submitted to {}", id, c.name(), participants);
                    c.replyTo().tell(new GatewayProtocol.JobAccepted(id));
                    prepare(s, s.job(id), participants);
                    timers.startSingleTimer(new PrepareTimedOut(id), settings.prepareTimeout());
                });
    }

    private void prepare(SchedulerState s, JobEntry j, List<String> toNodes) {
        live.sessions(dispatch.prepare(s, j, toNodes, live.roster(), live.sessions()));
    }

    /** A PREPARING job starts when every participant still here answered PrepareJob, or at the timeout. */
    private Effect<SchedulerEvent, SchedulerState> start(SchedulerState state, String jobId, boolean timedOut) {
        JobEntry j = state.job(jobId);
        Set<String> here = live.eligible();
        if (j == null || j.state() != RoundLoop.Phase.PREPARING || !JobDecisions.readyToStart(j, here, timedOut)) {
            return Effect().none();
        }
        Set<String> prepared = new TreeSet<>(j.prepared().keySet());
        prepared.retainAll(here);
        if (prepared.isEmpty()) {
            return persistAndAct(List.of(new SchedulerEvent.JobFailed(jobId, "no node prepared the job"
                    + (j.refused().isEmpty() ? "" : "; refused: " + j.refused()), Instant.now())));
        }
        return decide(state, j, new RoundLoop.Start(prepared));
    }

    private Effect<SchedulerEvent, SchedulerState> onAdvance(SchedulerState state, Advance c) {
        JobEntry j = state.job(c.jobId());
        if (j == null || !j.roundComplete()) {
            return Effect().none();
        }
        return decide(state, j, new RoundLoop.RoundDone(JobDecisions.available(j, live.eligible(),
                n -> live.confirmed(c.jobId(), n))));
    }

    private Effect<SchedulerEvent, SchedulerState> onCancel(SchedulerState state, CancelJob c) {
        JobEntry j = state.job(c.jobId());
        if (j == null) {
            return Effect().reply(c.replyTo(), new GatewayProtocol.UnknownJob(c.jobId()));
        }
        if (j.state().over()) {
            return Effect().reply(c.replyTo(), new GatewayProtocol.JobRejected("job " + c.jobId() + " is already "
                    + j.state().name().toLowerCase(java.util.Locale.ROOT)));
        }
        List<SchedulerEvent> events = JobDecisions.events(c.jobId(),
                List.of(new RoundLoop.Cancelled("cancelled by a user")), Instant.now());
        return Effect().persist(events).thenRun(s -> {
            act(s, events);
            c.replyTo().tell(new GatewayProtocol.JobCancelled(c.jobId()));
        });
    }

    /** The loop's decision on {@code signal}, journaled, then carried out. */
    private Effect<SchedulerEvent, SchedulerState> decide(SchedulerState state, JobEntry j, RoundLoop.Signal signal) {
        RoundLoop.Step step = JobDecisions.loop(state, j, settings.device()).decide(j.loop(), signal);
        step.warnings().forEach(w -> ctx.getLog().warn("job {}: {}", j.job().jobId(), w));
        return persistAndAct(JobDecisions.events(j.job().jobId(), step.facts(), Instant.now()));
    }

    private Effect<SchedulerEvent, SchedulerState> persistAndAct(List<SchedulerEvent> events) {
        if (events.isEmpty()) {
            return Effect().none();
        }
        return Effect().persist(events).thenRun(s -> act(s, events));
    }

    private void act(SchedulerState s, List<SchedulerEvent> events) {
        dispatch.act(s, events, live);
    }

    /**
     * A partition's open round is not persisted: when its entity moves (a rebalance after a node
     * joins, a hand-off) the round is gone with it and no RoundClosed ever comes. The partitions that
     * did not close are sent the round again; the aggregator treats a round it knows idempotently and
     * opens it anew from its checkpoint otherwise. Without this a rebalance towards a node that came
     * back stalled the job for good.
     */
    private Effect<SchedulerEvent, SchedulerState> onRoundOverdue(SchedulerState state, RoundOverdue c) {
        JobEntry j = state.job(c.jobId());
        if (j == null || j.state() != RoundLoop.Phase.RUNNING || j.round() != c.round() || !j.loop().open()
                || live.resuming(c.jobId())) {
            return Effect().none();
        }
        ctx.getLog().warn("job {}: round {} not closed by every partition within {} s (closed: {}); re-issuing it",
                c.jobId(), c.round(), JobDispatch.overdueAfter(j.job()).toSeconds(), j.closed().keySet());
        dispatch.openRound(state, c.jobId(), live);
        return Effect().none();
    }

    // ---- recovery ----------------------------------------------------------------------------

    private void resumeWhenReady(SchedulerState s) {
        for (String id : live.toResume()) {
            JobEntry j = s.job(id);
            List<String> needed = j == null ? List.of()
                    : j.state() == RoundLoop.Phase.RUNNING ? j.plannedNodes() : j.participants();
            if (needed.stream().allMatch(n -> live.trainerOf(n) != null)) {
                live.resumed(id);
                ctx.getSelf().tell(new ResumeJob(id));
            }
        }
    }

    /**
     * The recovery grace is over: a node the journal says is up but that did not register with this
     * scheduler died with the previous one (or while there was none) and has left; then every job still
     * waiting resumes with the nodes that are here.
     */
    private Effect<SchedulerEvent, SchedulerState> reconcileAndResume(SchedulerState s) {
        Outcome left = nodes.unregisteredLeft(s, settings.recoveryGrace().toSeconds());
        return run(new Outcome(left.events(), after -> {
            left.then().accept(after);
            live.toResume().forEach(id -> ctx.getSelf().tell(new ResumeJob(id)));
            live.resumedAll();
        }));
    }

    /** Picks a recovered job up where the journal left it. */
    private Effect<SchedulerEvent, SchedulerState> onResume(SchedulerState state, ResumeJob c) {
        JobEntry j = state.job(c.jobId());
        if (j == null || j.state().over()) {
            return Effect().none();
        }
        String id = j.job().jobId();
        if (j.state() == RoundLoop.Phase.PREPARING) {
            ctx.getLog().info("resuming job {}: preparing", id);
            List<String> missing = j.participants().stream()
                    .filter(n -> !j.prepared().containsKey(n) && !j.refused().containsKey(n)).toList();
            prepare(state, j, missing);
            timers.startSingleTimer(new PrepareTimedOut(id), settings.prepareTimeout());
            return start(state, id, false);
        }
        if (j.roundComplete()) {
            return onAdvance(state, new Advance(id));
        }
        ctx.getLog().info("resuming job {}: re-issuing round {}", id, j.round());
        // Nodes here that the journal says prepared: PrepareJob checks that their trainer still has the job.
        j.participants().forEach(n -> nodeAvailable(state, n));
        return Effect().persist(new SchedulerEvent.RoundResumed(id, j.round(), Instant.now()))
                .thenRun(s -> dispatch.openRound(s, id, live));
    }
}
