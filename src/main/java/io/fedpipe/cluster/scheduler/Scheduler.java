package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.config.NodeRole;
import io.fedpipe.cluster.gateway.GatewayProtocol;
import io.fedpipe.cluster.gateway.GatewayProtocol.JobState;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.protocol.NodeProtocol;
import io.fedpipe.cluster.protocol.RoundProtocol;
import io.fedpipe.cluster.protocol.ServiceKeys;
import io.fedpipe.cluster.scheduler.SchedulerState.JobEntry;
import io.fedpipe.cluster.wire.WireMessage;
import io.fedpipe.round.NodeRoundPlan;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The control plane (DESIGN.md §2): a cluster singleton that tracks nodes and jobs in its journal
 * and drives every job through JobProtocol's flow:
 * <pre>
 *  SubmitJob ─▶ JobSubmitted ─▶ PrepareJob to each participant (shard i of n; importance probe)
 *  JobPrepared/JobRefused from all (or prepare-timeout) ─▶ PlanChosen (importance selection, Planner)
 *      ─▶ RoundOpened ─▶ OpenRound to every partition "jobId/p" (sharding)
 *  RoundClosed from every partition ─▶ metrics; re-plan (PlanChanged) when a node left or returned,
 *      or ran &gt; 1.5× its plan for 2 rounds (NodeSlowed) ─▶ next RoundOpened, or JobFinished ─▶ FinishJob
 * </pre>
 * Nodes come from {@link NodeProtocol.Register} (sent to the endpoint listed under
 * {@link ServiceKeys#SCHEDULER}) paired with a trainer listed under {@link ServiceKeys#TRAINER};
 * a node whose trainer disappears from the listing, or whose member is unreachable or removed,
 * has left. After a restart the scheduler re-issues the current round's OpenRound once the round's
 * trainers registered again (or after {@code recovery-grace}); the aggregator treats an OpenRound
 * for a round it already knows idempotently.
 */
public final class Scheduler extends EventSourcedBehavior<Scheduler.Command, SchedulerEvent, SchedulerState> {

    /** What the scheduler accepts. The public requests may arrive from other nodes (the singleton proxy). */
    public sealed interface Command {}

    public record SubmitJob(JobSpec job, String name, ActorRef<GatewayProtocol.Reply> replyTo)
            implements Command, WireMessage {}

    public record GetJob(String jobId, ActorRef<GatewayProtocol.Reply> replyTo) implements Command, WireMessage {}

    public record ListJobs(ActorRef<GatewayProtocol.Reply> replyTo) implements Command, WireMessage {}

    public record CancelJob(String jobId, ActorRef<GatewayProtocol.Reply> replyTo) implements Command, WireMessage {}

    /** The known nodes; answered only once the journal is recovered (the readiness check relies on it). */
    public record GetNodes(ActorRef<NodeList> replyTo) implements Command, WireMessage {}

    public record NodeList(List<NodeView> nodes) implements WireMessage {
        public NodeList {
            nodes = List.copyOf(nodes);
        }
    }

    /** A node as the scheduler sees it; {@code trainer}: its trainer is listed now. */
    public record NodeView(NodeProfile profile, boolean up, double slowdown, String leftReason, boolean trainer) {}

    private record Registering(NodeProtocol.Register register) implements Command {}

    private record FromDataPlane(JobProtocol.SchedulerEvent event) implements Command {}

    private record TrainersListed(Receptionist.Listing listing) implements Command {}

    private record MemberGone(UniqueAddress member, String reason) implements Command {}

    private record MemberBack(Address address) implements Command {}

    private record PrepareTimedOut(String jobId) implements Command {}

    private record ResumeJob(String jobId) implements Command {}

    private enum RecoveryGraceOver implements Command { INSTANCE }

    private final ActorContext<Command> ctx;
    private final TimerScheduler<Command> timers;
    private final SchedulerSettings settings;
    private final ActorRef<JobProtocol.SchedulerEvent> dataPlane;
    /** Not journaled: references die with their incarnation; nodes register again after a restart. */
    private final Map<String, NodeProtocol.Register> registrations = new TreeMap<>();
    private Set<ActorRef<JobProtocol.TrainerCommand>> listed = Set.of();
    /** Per "jobId/node", the trainer PrepareJob went to: a new incarnation of the node gets it again. */
    private final Map<String, ActorRef<JobProtocol.TrainerCommand>> prepareSent = new HashMap<>();
    /**
     * Per "jobId/node", the trainer that answered JobPrepared. Not journaled: after a fail-over the
     * journal says which nodes prepared, not whether the trainer now listed is the one that did; a node
     * counts as returned only once the trainer now listed answered.
     */
    private final Map<String, ActorRef<JobProtocol.TrainerCommand>> preparedBy = new HashMap<>();
    /** True until RecoveryCompleted: events are being replayed, not happening. */
    private boolean recovering = true;
    /** Jobs in flight when the journal was recovered, not yet resumed. */
    private final Set<String> toResume = new TreeSet<>();

    public static Behavior<Command> create(SchedulerSettings settings) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Scheduler(ctx, timers, settings)));
    }

    private Scheduler(ActorContext<Command> ctx, TimerScheduler<Command> timers, SchedulerSettings settings) {
        // A journal that fails (database down, schema missing) restarts the scheduler with back-off
        // instead of stopping it: the singleton must come back by itself.
        super(PersistenceId.ofUniqueId(settings.persistenceId()),
                SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2));
        this.ctx = ctx;
        this.timers = timers;
        this.settings = settings;
        this.dataPlane = ctx.messageAdapter(JobProtocol.SchedulerEvent.class, FromDataPlane::new);
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
                e -> new MemberGone(e.member().uniqueAddress(), "member removed")), ClusterEvent.MemberRemoved.class));
        cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.UnreachableMember.class,
                e -> new MemberGone(e.member().uniqueAddress(), "unreachable")), ClusterEvent.UnreachableMember.class));
        cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(ClusterEvent.ReachableMember.class,
                e -> new MemberBack(e.member().address())), ClusterEvent.ReachableMember.class));
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
            recovering = false;
            state.jobs().values().stream().filter(j -> !j.state().over()).forEach(j -> toResume.add(j.job().jobId()));
            ctx.getLog().info("scheduler recovered: {} nodes, {} jobs, {} in flight", state.nodes().size(),
                    state.jobs().size(), toResume.size());
            // Also without jobs in flight: nodes the journal says are up but that died with the previous
            // scheduler never produce a cluster event here; the grace decides they left.
            if (!toResume.isEmpty() || !state.upNodes().isEmpty()) {
                timers.startSingleTimer(RecoveryGraceOver.INSTANCE, settings.recoveryGrace());
            }
        }).build();
    }

    @Override
    public EventHandler<SchedulerState, SchedulerEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent((state, e) -> {
            // Node changes in the log (not while replaying the journal): they explain every re-plan.
            if (!recovering) {
                if (e instanceof SchedulerEvent.NodeLeft l) {
                    ctx.getLog().info("node {} left: {}", l.nodeId(), l.reason());
                } else if (e instanceof SchedulerEvent.NodeJoined j) {
                    ctx.getLog().info("node {} joined", j.profile().nodeId());
                }
            }
            return state.apply(e);
        });
    }

    @Override
    public CommandHandler<Command, SchedulerEvent, SchedulerState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Registering.class, this::onRegister)
                .onCommand(TrainersListed.class, this::onTrainersListed)
                .onCommand(MemberGone.class, this::onMemberGone)
                .onCommand(MemberBack.class, this::onMemberBack)
                .onCommand(SubmitJob.class, this::onSubmit)
                .onCommand(FromDataPlane.class, this::onDataPlane)
                .onCommand(PrepareTimedOut.class, (s, c) -> startIfReady(s, c.jobId(), true))
                .onCommand(RecoveryGraceOver.class, (s, c) -> reconcileAndResume(s))
                .onCommand(ResumeJob.class, this::onResume)
                .onCommand(PrepareCheck.class, (s, c) -> startIfReady(s, c.jobId(), false))
                .onCommand(RoundOverdue.class, this::onRoundOverdue)
                .onCommand(CancelJob.class, this::onCancel)
                .onCommand(GetJob.class, (s, c) -> Effect().reply(c.replyTo(), SchedulerViews.status(s, c.jobId())))
                .onCommand(ListJobs.class, (s, c) -> Effect().reply(c.replyTo(), SchedulerViews.list(s)))
                .onCommand(GetNodes.class, (s, c) -> Effect().reply(c.replyTo(),
                        SchedulerViews.nodes(s, id -> trainerOf(id) != null)))
                .build();
    }

    // ---- nodes -------------------------------------------------------------------------------

    /** The node's trainer if it is listed now: the one it named, or the only one at its address. */
    ActorRef<JobProtocol.TrainerCommand> trainerOf(String nodeId) {
        NodeProtocol.Register r = registrations.get(nodeId);
        if (r == null) {
            return null;
        }
        if (r.trainer() != null) {
            return listed.contains(r.trainer()) ? r.trainer() : null;
        }
        List<ActorRef<JobProtocol.TrainerCommand>> same = listed.stream()
                .filter(t -> t.path().address().equals(r.replyTo().path().address())).toList();
        return same.size() == 1 ? same.get(0) : null;
    }

    private Set<String> eligible() {
        Set<String> out = new TreeSet<>();
        registrations.keySet().forEach(id -> {
            if (trainerOf(id) != null) {
                out.add(id);
            }
        });
        return out;
    }

    private Effect<SchedulerEvent, SchedulerState> onRegister(SchedulerState state, Registering c) {
        NodeProfile profile = c.register().profile();
        NodeProtocol.Register before = registrations.put(profile.nodeId(), c.register());
        SchedulerState.NodeEntry known = state.nodes().get(profile.nodeId());
        List<SchedulerEvent> events = new ArrayList<>();
        boolean restarted = before != null && before.trainer() != null && c.register().trainer() != null
                && !before.trainer().equals(c.register().trainer());
        if (restarted && known != null && known.up()) {
            // A new incarnation before the old one was seen leaving: whatever the old trainer loaded is gone.
            events.add(new SchedulerEvent.NodeLeft(profile.nodeId(), "restarted (a new trainer registered)", Instant.now()));
            known = null;
        }
        if (known == null || !known.up() || !known.profile().equals(profile)) {
            events.add(new SchedulerEvent.NodeJoined(profile, Instant.now()));
        }
        return Effect().persist(events).thenRun(s -> {
            if (restarted) {
                forgetPrepared(profile.nodeId());
            }
            c.register().replyTo().tell(new NodeProtocol.Registered(profile.nodeId(), s.upNodes().size()));
            nodeAvailable(s, profile.nodeId());
            resumeWhenReady(s);
        });
    }

    private Effect<SchedulerEvent, SchedulerState> onTrainersListed(SchedulerState state, TrainersListed c) {
        Set<String> before = eligible();
        listed = Set.copyOf(c.listing().getServiceInstances(ServiceKeys.TRAINER));
        Set<String> after = eligible();
        List<SchedulerEvent> events = new ArrayList<>();
        Instant now = Instant.now();
        for (String id : before) {
            SchedulerState.NodeEntry n = state.nodes().get(id);
            if (!after.contains(id) && n != null && n.up()) {
                events.add(new SchedulerEvent.NodeLeft(id, "its trainer left the receptionist listing", now));
            }
        }
        for (String id : after) {
            SchedulerState.NodeEntry n = state.nodes().get(id);
            if (n != null && !n.up()) {
                events.add(new SchedulerEvent.NodeJoined(registrations.get(id).profile(), now));
            }
        }
        return Effect().persist(events).thenRun(s -> {
            events.stream().filter(e -> e instanceof SchedulerEvent.NodeLeft)
                    .forEach(e -> forgetPrepared(((SchedulerEvent.NodeLeft) e).nodeId()));
            after.stream().filter(id -> !before.contains(id)).forEach(id -> nodeAvailable(s, id));
            resumeWhenReady(s);
            s.jobs().keySet().forEach(id -> ctx.getSelf().tell(new PrepareCheck(id)));
        });
    }

    private Effect<SchedulerEvent, SchedulerState> onMemberGone(SchedulerState state, MemberGone c) {
        Address address = c.member().address();
        // A node restarted on the same host and port: the event is about its old incarnation, and the
        // registrations at this address are the new one's (an address carries no incarnation).
        for (Member m : Cluster.get(ctx.getSystem()).state().getMembers()) {
            if (m.address().equals(address) && !m.uniqueAddress().equals(c.member())
                    && m.status() != MemberStatus.removed() && m.status() != MemberStatus.down()) {
                ctx.getLog().info("{} of an old incarnation of {}; a new one is a member", c.reason(), address);
                return Effect().none();
            }
        }
        List<SchedulerEvent> events = new ArrayList<>();
        registrations.forEach((id, r) -> {
            SchedulerState.NodeEntry n = state.nodes().get(id);
            if (r.replyTo().path().address().equals(address) && n != null && n.up()) {
                events.add(new SchedulerEvent.NodeLeft(id, c.reason(), Instant.now()));
            }
        });
        if (c.reason().equals("member removed")) {
            registrations.values().removeIf(r -> r.replyTo().path().address().equals(address));
        }
        return Effect().persist(events).thenRun(s -> {
            events.forEach(e -> forgetPrepared(((SchedulerEvent.NodeLeft) e).nodeId()));
            s.jobs().keySet().forEach(id -> ctx.getSelf().tell(new PrepareCheck(id)));
        });
    }

    private Effect<SchedulerEvent, SchedulerState> onMemberBack(SchedulerState state, MemberBack c) {
        List<SchedulerEvent> events = new ArrayList<>();
        registrations.forEach((id, r) -> {
            SchedulerState.NodeEntry n = state.nodes().get(id);
            if (r.replyTo().path().address().equals(c.address()) && n != null && !n.up() && trainerOf(id) != null) {
                events.add(new SchedulerEvent.NodeJoined(r.profile(), Instant.now()));
            }
        });
        return Effect().persist(events).thenRun(s -> events.forEach(
                e -> nodeAvailable(s, ((SchedulerEvent.NodeJoined) e).profile().nodeId())));
    }

    private void forgetPrepared(String nodeId) {
        prepareSent.keySet().removeIf(k -> k.endsWith("/" + nodeId));
        preparedBy.keySet().removeIf(k -> k.endsWith("/" + nodeId));
    }

    /** The job is loaded on the node's trainer now listed: that trainer itself answered JobPrepared. */
    private boolean confirmed(String jobId, String nodeId) {
        ActorRef<JobProtocol.TrainerCommand> t = trainerOf(nodeId);
        return t != null && t.equals(preparedBy.get(jobId + "/" + nodeId));
    }

    /**
     * A node can train now: send PrepareJob for every unfinished job it takes part in, unless its trainer
     * now listed confirmed the job. For a running job that covers a node that returned (it prepares its
     * own shard again: the data is private and stays with the node) and, after a fail-over, a node the
     * journal says prepared (its trainer answers at once if it still has the job, or loads it again).
     */
    private void nodeAvailable(SchedulerState s, String nodeId) {
        for (JobEntry j : s.jobs().values()) {
            boolean resumingPreparation = j.state() == JobState.PREPARING && toResume.contains(j.job().jobId());
            if (!j.state().over() && j.participants().contains(nodeId) && !j.refused().containsKey(nodeId)
                    && !confirmed(j.job().jobId(), nodeId) && !resumingPreparation) {
                sendPrepare(s, j, List.of(nodeId));
            }
        }
    }

    // ---- jobs --------------------------------------------------------------------------------

    private Effect<SchedulerEvent, SchedulerState> onSubmit(SchedulerState state, SubmitJob c) {
        String id = c.job().jobId();
        if (state.jobs().containsKey(id)) {
            return Effect().reply(c.replyTo(), new GatewayProtocol.JobRejected("job id " + id + " is taken"));
        }
        List<String> participants = eligible().stream().filter(n -> state.nodes().containsKey(n)
                && state.nodes().get(n).profile().has(NodeRole.EDGE)).sorted().toList();
        if (participants.isEmpty()) {
            return Effect().reply(c.replyTo(), new GatewayProtocol.JobRejected(
                    "no edge node with a trainer has registered with the scheduler; start one and submit again"));
        }
        try {
            JobPlanning.candidates(c.job());
        } catch (RuntimeException e) {
            return Effect().reply(c.replyTo(), new GatewayProtocol.JobRejected(e.getMessage()));
        }
        return Effect().persist(new SchedulerEvent.JobSubmitted(c.job(), c.name(), participants, Instant.now()))
                .thenRun(s -> {
                    ctx.getLog().info("job {} ({}) submitted to {}", id, c.name(), participants);
                    c.replyTo().tell(new GatewayProtocol.JobAccepted(id));
                    sendPrepare(s, s.job(id), participants);
                    timers.startSingleTimer(new PrepareTimedOut(id), settings.prepareTimeout());
                });
    }

    private void sendPrepare(SchedulerState s, JobEntry j, List<String> nodes) {
        JobSpec job = j.job();
        boolean probe = job.importanceMatrices() > 0 && j.state() == JobState.PREPARING;
        var candidates = probe ? JobPlanning.candidates(job) : List.<io.fedpipe.core.MatrixId>of();
        List<JobPlanning.NodeInput> inputs = j.participants().stream().filter(n -> s.nodes().containsKey(n))
                .map(n -> new JobPlanning.NodeInput(s.nodes().get(n).profile(), s.nodes().get(n).slowdown(), 0)).toList();
        Map<String, JobPlanning.Probe> probes = JobPlanning.probeSettings(job, inputs, settings.device());
        for (String node : nodes) {
            ActorRef<JobProtocol.TrainerCommand> trainer = trainerOf(node);
            if (trainer == null || trainer.equals(prepareSent.put(job.jobId() + "/" + node, trainer))) {
                continue;
            }
            JobPlanning.Probe p = probes.get(node);
            trainer.tell(new JobProtocol.PrepareJob(job, j.participants().indexOf(node), j.participants().size(),
                    candidates, p.bits(), p.batch(), dataPlane));
        }
    }

    private Effect<SchedulerEvent, SchedulerState> onDataPlane(SchedulerState state, FromDataPlane c) {
        JobProtocol.SchedulerEvent e = c.event();
        Batch b = new Batch(state);
        Instant now = Instant.now();
        if (e instanceof JobProtocol.JobPrepared p && acceptsPreparation(state, p.jobId(), p.nodeId())) {
            ActorRef<JobProtocol.TrainerCommand> by = trainerOf(p.nodeId());
            if (by != null) {
                preparedBy.put(p.jobId() + "/" + p.nodeId(), by);
            }
            JobEntry j = state.job(p.jobId());
            if (j.state() == JobState.RUNNING && j.prepared().containsKey(p.nodeId())) {
                // The journal already has it (a check after a fail-over): nothing new to record.
                ctx.getLog().info("job {}: node {} has the job loaded (its trainer now listed answered)", p.jobId(), p.nodeId());
                return Effect().none();
            }
            if (j.state() == JobState.RUNNING) {
                ctx.getLog().info("job {}: node {} prepared again (shard {} of {}); planned in from the next round",
                        p.jobId(), p.nodeId(), j.participants().indexOf(p.nodeId()), j.participants().size());
            }
            b.add(new SchedulerEvent.NodePrepared(p.jobId(), p.nodeId(), p.trainExamples(),
                    JobPlanning.keyed(p.importance()), p.probeSeconds(), now));
            startIfReady(b, p.jobId(), false);
        } else if (e instanceof JobProtocol.JobRefused r && acceptsPreparation(state, r.jobId(), r.nodeId())) {
            ctx.getLog().warn("node {} refused job {}: {}", r.nodeId(), r.jobId(), r.reason());
            b.add(new SchedulerEvent.NodeRefused(r.jobId(), r.nodeId(), r.reason(), now));
            startIfReady(b, r.jobId(), false);
        } else if (e instanceof JobProtocol.RoundClosed r) {
            JobEntry j = state.job(r.jobId());
            if (j == null || j.state() != JobState.RUNNING || r.round() != dataPlaneRound(j.round())
                    || j.closed().containsKey(r.partition())) {
                return Effect().none();
            }
            List<String> failures = new ArrayList<>();
            r.failures().forEach(f -> failures.add(f.nodeId() + ": " + f.reason()));
            r.rejected().forEach(x -> failures.add(x.nodeId() + ": rejected " + x.item() + ": " + x.reason()));
            b.add(new SchedulerEvent.PartitionClosed(r.jobId(), j.round(), r.partition(), r.nodes(), failures,
                    Instant.ofEpochMilli(r.closedAtMillis())));
            if (b.state.job(r.jobId()).roundComplete()) {
                advance(b, r.jobId());
            }
        } else {
            return Effect().none();
        }
        return persistAndAct(b);
    }

    private static boolean acceptsPreparation(SchedulerState s, String jobId, String nodeId) {
        JobEntry j = s.job(jobId);
        return j != null && !j.state().over() && j.participants().contains(nodeId);
    }

    private Effect<SchedulerEvent, SchedulerState> startIfReady(SchedulerState state, String jobId, boolean timedOut) {
        Batch b = new Batch(state);
        startIfReady(b, jobId, timedOut);
        return persistAndAct(b);
    }

    private record PrepareCheck(String jobId) implements Command {}

    /** The open round should have closed by now (its deadline and a margin have passed). */
    private record RoundOverdue(String jobId, int round) implements Command {}

    /** A PREPARING job starts when every participant that is still here answered, or at the timeout. */
    private void startIfReady(Batch b, String jobId, boolean timedOut) {
        JobEntry j = b.state.job(jobId);
        if (j == null || j.state() != JobState.PREPARING) {
            return;
        }
        Set<String> here = eligible();
        boolean ready = j.participants().stream().allMatch(n -> j.prepared().containsKey(n)
                || j.refused().containsKey(n) || !here.contains(n));
        if (!ready && !timedOut) {
            return;
        }
        Map<String, SchedulerState.Prepared> prepared = new TreeMap<>(j.prepared());
        prepared.keySet().retainAll(here);
        if (prepared.isEmpty()) {
            b.add(new SchedulerEvent.JobFailed(jobId, "no node prepared the job" + (j.refused().isEmpty() ? ""
                    : "; refused: " + j.refused()), Instant.now()));
            return;
        }
        try {
            List<String> selected = JobPlanning.select(j.job(), prepared);
            JobPlanning.Result plan = JobPlanning.plan(j.job(), selected, inputs(b.state, prepared), settings.device());
            b.add(new SchedulerEvent.PlanChosen(jobId, selected, plan.roundSeconds(), plan.rows(), plan.excluded(),
                    Instant.now()));
            b.add(new SchedulerEvent.RoundOpened(jobId, 1, Instant.now()));
        } catch (RuntimeException e) {
            b.add(new SchedulerEvent.JobFailed(jobId, "planning failed: " + e.getMessage(), Instant.now()));
        }
    }

    private static List<JobPlanning.NodeInput> inputs(SchedulerState s, Map<String, SchedulerState.Prepared> prepared) {
        List<JobPlanning.NodeInput> out = new ArrayList<>();
        prepared.forEach((n, p) -> out.add(new JobPlanning.NodeInput(s.nodes().get(n).profile(),
                s.nodes().get(n).slowdown(), p.trainExamples())));
        return out;
    }

    /** The round closed on every partition: finish, or re-plan if needed and open the next one. */
    private void advance(Batch b, String jobId) {
        JobEntry j = b.state.job(jobId);
        Instant now = Instant.now();
        if (j.round() >= j.job().rounds()) {
            b.add(new SchedulerEvent.JobFinished(jobId, now));
            return;
        }
        Set<String> here = eligible();
        Set<String> considered = new TreeSet<>(j.plannedNodes());
        j.excluded().forEach(x -> considered.add(x.nodeId()));
        Map<String, SchedulerState.Prepared> live = new TreeMap<>(j.prepared());
        live.keySet().retainAll(here);
        // A node outside the plan comes back only once its trainer now listed answered PrepareJob; planned
        // in earlier, it would decline every slice until it has loaded the job again.
        live.keySet().removeIf(n -> !considered.contains(n) && !confirmed(jobId, n));
        if (live.isEmpty()) {
            b.add(new SchedulerEvent.JobFailed(jobId, "every node of the job left", now));
            return;
        }
        List<String> reasons = new ArrayList<>();
        Set<String> left = new TreeSet<>(considered);
        left.removeAll(live.keySet());
        Set<String> joined = new TreeSet<>(live.keySet());
        joined.removeAll(considered);
        if (!left.isEmpty()) {
            reasons.add("left: " + String.join(", ", left));
        }
        if (!joined.isEmpty()) {
            reasons.add("returned: " + String.join(", ", joined));
        }
        for (String node : j.plannedNodes()) {
            if (j.slowStreak().getOrDefault(node, 0) >= SchedulerState.SLOW_ROUNDS && live.containsKey(node)) {
                double factor = j.lastFactor().getOrDefault(node, SchedulerState.SLOW_FACTOR);
                b.add(new SchedulerEvent.NodeSlowed(node, jobId, j.round(), factor, now));
                reasons.add(String.format(java.util.Locale.ROOT, "%s ran %.2fx its plan for %d rounds", node, factor,
                        SchedulerState.SLOW_ROUNDS));
            }
        }
        if (!reasons.isEmpty()) {
            try {
                JobPlanning.Result plan = JobPlanning.plan(j.job(), j.selected(), inputs(b.state, live), settings.device());
                b.add(new SchedulerEvent.PlanChanged(jobId, j.round() + 1, String.join("; ", reasons), plan.roundSeconds(),
                        plan.rows(), plan.excluded(), now));
            } catch (RuntimeException e) {
                // The plan in force still has live nodes (openRound leaves out the ones without a trainer): go on
                // with it rather than fail a running job over a re-plan that found nothing better.
                Set<String> keep = new TreeSet<>(j.plannedNodes());
                keep.retainAll(live.keySet());
                if (keep.isEmpty()) {
                    b.add(new SchedulerEvent.JobFailed(jobId, "re-planning failed: " + e.getMessage(), now));
                    return;
                }
                ctx.getLog().warn("job {}: re-planning before round {} ({}) failed, keeping the plan for {}: {}", jobId,
                        j.round() + 1, String.join("; ", reasons), keep, e.getMessage());
            }
        }
        b.add(new SchedulerEvent.RoundOpened(jobId, j.round() + 1, now));
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
        Batch b = new Batch(state);
        b.add(new SchedulerEvent.JobCancelled(c.jobId(), "cancelled by a user", Instant.now()));
        return Effect().persist(b.events).thenRun(s -> {
            act(s, b.events);
            c.replyTo().tell(new GatewayProtocol.JobCancelled(c.jobId()));
        });
    }

    // ---- recovery ----------------------------------------------------------------------------

    private void resumeWhenReady(SchedulerState s) {
        for (String id : List.copyOf(toResume)) {
            JobEntry j = s.job(id);
            List<String> needed = j == null ? List.of() : j.state() == JobState.RUNNING ? j.plannedNodes() : j.participants();
            if (needed.stream().allMatch(n -> trainerOf(n) != null)) {
                toResume.remove(id);
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
        List<SchedulerEvent> events = new ArrayList<>();
        for (String id : s.upNodes()) {
            if (!registrations.containsKey(id)) {
                events.add(new SchedulerEvent.NodeLeft(id, "did not register within " + settings.recoveryGrace().toSeconds()
                        + " s of the scheduler's recovery", Instant.now()));
            }
        }
        if (!events.isEmpty()) {
            ctx.getLog().info("scheduler recovered: nodes gone meanwhile: {}",
                    events.stream().map(e -> ((SchedulerEvent.NodeLeft) e).nodeId()).toList());
        }
        return Effect().persist(events).thenRun(after -> {
            events.forEach(e -> forgetPrepared(((SchedulerEvent.NodeLeft) e).nodeId()));
            toResume.forEach(id -> ctx.getSelf().tell(new ResumeJob(id)));
            toResume.clear();
        });
    }

    /** Picks a recovered job up where the journal left it. */
    private Effect<SchedulerEvent, SchedulerState> onResume(SchedulerState state, ResumeJob c) {
        JobEntry j = state.job(c.jobId());
        if (j == null || j.state().over()) {
            return Effect().none();
        }
        if (j.state() == JobState.PREPARING) {
            ctx.getLog().info("resuming job {}: preparing", j.job().jobId());
            List<String> missing = j.participants().stream()
                    .filter(n -> !j.prepared().containsKey(n) && !j.refused().containsKey(n)).toList();
            sendPrepare(state, j, missing);
            timers.startSingleTimer(new PrepareTimedOut(j.job().jobId()), settings.prepareTimeout());
            return startIfReady(state, j.job().jobId(), false);
        }
        if (j.roundComplete()) {
            Batch b = new Batch(state);
            advance(b, j.job().jobId());
            return persistAndAct(b);
        }
        ctx.getLog().info("resuming job {}: re-issuing round {}", j.job().jobId(), j.round());
        // Nodes here that the journal says prepared: PrepareJob checks that their trainer still has the job.
        j.participants().forEach(n -> nodeAvailable(state, n));
        return Effect().persist(new SchedulerEvent.RoundResumed(j.job().jobId(), j.round(), Instant.now()))
                .thenRun(s -> openRound(s, j.job().jobId()));
    }

    // ---- effects -----------------------------------------------------------------------------

    /** Events computed on top of one another in one command, persisted together. */
    private static final class Batch {
        SchedulerState state;
        final List<SchedulerEvent> events = new ArrayList<>();

        Batch(SchedulerState state) {
            this.state = state;
        }

        void add(SchedulerEvent e) {
            events.add(e);
            state = state.apply(e);
        }
    }

    private Effect<SchedulerEvent, SchedulerState> persistAndAct(Batch b) {
        if (b.events.isEmpty()) {
            return Effect().none();
        }
        return Effect().persist(b.events).thenRun(s -> act(s, b.events));
    }

    /** Messages that follow from persisted events: open rounds, release finished jobs. */
    private void act(SchedulerState s, List<SchedulerEvent> events) {
        for (SchedulerEvent e : events) {
            if (e instanceof SchedulerEvent.RoundOpened o) {
                timers.cancel(new PrepareTimedOut(o.jobId()));
                openRound(s, o.jobId());
            } else if (e instanceof SchedulerEvent.PlanChanged p) {
                ctx.getLog().info("job {}: re-planned before round {} ({})", p.jobId(), p.beforeRound(), p.reason());
            } else if (e instanceof SchedulerEvent.JobFinished f) {
                finish(s, f.jobId(), "finished");
            } else if (e instanceof SchedulerEvent.JobCancelled f) {
                finish(s, f.jobId(), "cancelled: " + f.reason());
            } else if (e instanceof SchedulerEvent.JobFailed f) {
                ctx.getLog().warn("job {} failed: {}", f.jobId(), f.reason());
                finish(s, f.jobId(), "failed: " + f.reason());
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void openRound(SchedulerState s, String jobId) {
        JobEntry j = s.job(jobId);
        List<NodeRoundPlan> plans = new ArrayList<>();
        Map<String, ActorRef<RoundProtocol.RoundAssignment>> trainers = new LinkedHashMap<>();
        for (NodeRoundPlan p : JobPlanning.roundPlans(j.plan(), j.selected())) {
            ActorRef<JobProtocol.TrainerCommand> t = trainerOf(p.nodeId());
            if (t != null) {
                plans.add(p);
                // The actor behind a TRAINER listing also accepts RoundAssignment (ServiceKeys).
                trainers.put(p.nodeId(), (ActorRef<RoundProtocol.RoundAssignment>) (ActorRef<?>) t);
            }
        }
        if (plans.isEmpty()) {
            ctx.getLog().warn("job {} round {}: no planned trainer is reachable; waiting for nodes", jobId, j.round());
            toResume.add(jobId);
            return;
        }
        for (int p = 0; p < j.job().partitions(); p++) {
            if (!j.closed().containsKey(p)) {
                tellPartition(jobId, p, new JobProtocol.OpenRound(j.job(), p, dataPlaneRound(j.round()), plans, trainers,
                        dataPlane));
            }
        }
        timers.startSingleTimer("overdue-" + jobId, new RoundOverdue(jobId, j.round()), overdueAfter(j.job()));
    }

    /** The round's deadline plus half of it (at least 5 s): a partition that is alive answers by then. */
    static Duration overdueAfter(JobSpec job) {
        return Duration.ofMillis(job.roundTimeoutMs() + Math.max(5_000, job.roundTimeoutMs() / 2));
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
        if (j == null || j.state() != JobState.RUNNING || j.round() != c.round() || j.roundComplete()
                || toResume.contains(c.jobId())) {
            return Effect().none();
        }
        List<Integer> open = IntStream.range(0, j.job().partitions()).filter(p -> !j.closed().containsKey(p)).boxed()
                .toList();
        ctx.getLog().warn("job {}: round {} not closed by partitions {} within {} s; re-issuing it", c.jobId(), c.round(),
                open, overdueAfter(j.job()).toSeconds());
        openRound(state, c.jobId());
        return Effect().none();
    }

    /**
     * The data plane's number for the control plane's round {@code round}. Users see rounds 1..n
     * (status, history, plan changes); the aggregator counts rounds done, so it opens round 0 first
     * and seeds each node's batches with that number as the simulator does. Without this mapping
     * the first OpenRound (round 1) reached an aggregator with 0 rounds done and was refused, and no
     * job ever ran on the real data plane.
     */
    static int dataPlaneRound(int round) {
        return round - 1;
    }

    private void finish(SchedulerState s, String jobId, String reason) {
        JobEntry j = s.job(jobId);
        timers.cancel(new PrepareTimedOut(jobId));
        JobProtocol.FinishJob msg = new JobProtocol.FinishJob(jobId, reason);
        if (j.round() > 0) {
            for (int p = 0; p < j.job().partitions(); p++) {
                tellPartition(jobId, p, msg);
            }
        }
        for (String node : j.participants()) {
            ActorRef<JobProtocol.TrainerCommand> t = trainerOf(node);
            if (t != null) {
                t.tell(msg);
            }
        }
    }

    /**
     * To aggregator partition {@code jobId/p} through sharding. The data plane initialises the
     * entity type on every node (a proxy where the node lacks the aggregator role); without it
     * there is no region to send to, which is logged rather than crashing the scheduler.
     */
    private void tellPartition(String jobId, int partition, JobProtocol.AggregatorCommand msg) {
        try {
            ClusterSharding.get(ctx.getSystem())
                    .entityRefFor(ServiceKeys.AGGREGATOR, ServiceKeys.aggregatorEntityId(jobId, partition)).tell(msg);
        } catch (IllegalStateException e) {
            ctx.getLog().error("cannot reach aggregator {}/{}: {} (is the '{}' entity initialised on this node?)", jobId,
                    partition, e.getMessage(), ServiceKeys.AGGREGATOR_TYPE_NAME);
        }
    }
}
