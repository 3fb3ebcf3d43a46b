package io.fedpipe.cluster.trainer;

import io.fedpipe.aggregation.Failure;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.cluster.protocol.JobProtocol.FinishJob;
import io.fedpipe.cluster.protocol.JobProtocol.JobRefused;
import io.fedpipe.cluster.protocol.JobProtocol.PrepareJob;
import io.fedpipe.cluster.protocol.JobProtocol.TrainerCommand;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.protocol.NodeProtocol;
import io.fedpipe.cluster.protocol.ServiceKeys;
import io.fedpipe.cluster.protocol.Partitioning;
import io.fedpipe.cluster.protocol.RoundProtocol.DeltaAck;
import io.fedpipe.cluster.protocol.RoundProtocol.DeltaUpload;
import io.fedpipe.cluster.protocol.RoundProtocol.Outcome;
import io.fedpipe.cluster.protocol.RoundProtocol.RoundAssignment;
import io.fedpipe.cluster.protocol.RoundProtocol.RoundDeclined;
import io.fedpipe.cluster.protocol.RoundProtocol.TrainerReply;
import io.fedpipe.round.LocalResult;
import io.fedpipe.round.NodeAssignment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * The trainer of an edge node (one per node): prepares jobs (model, tokenizer, its data shard,
 * the importance probe), collects a round's slices from every aggregator partition, trains with
 * {@code ClassifierLocalRound} and uploads each partition its part of the update.
 *
 * <p>All DJL work runs on the {@value #DISPATCHER} dispatcher (one thread: one training at a time
 * per JVM, STACK.md rule 3) and comes back as a message; no NDArray leaves it. A failure becomes a
 * {@code JobRefused} or a {@code RoundDeclined} with its message; the actor lives on.
 *
 * <p>Emulation (DESIGN.md §5): after training, the uploads wait for
 * {@code compute · (1/scale − 1) + 8·bytesDown/downlink + 8·bytesUp/uplink} seconds, so a node at
 * scale 0.25 answers after four times its measured compute and a slow link costs its real bytes.
 *
 * <p>A round already trained is not trained again: an assignment re-issued for it (the aggregator
 * moved) is answered with the cached upload, which the aggregator takes or acknowledges as a
 * duplicate.
 */
public final class Trainer extends AbstractBehavior<TrainerCommand> {

    /** Trainers register under this key; the scheduler finds them with the Receptionist. */
    public static final ServiceKey<TrainerCommand> SERVICE_KEY = ServiceKeys.TRAINER;

    /** The actor's name under /system (application.conf routes it over the large-message lane). */
    public static final String NAME = "fedpipe-trainer";

    /** The dispatcher DJL work runs on (application.conf). */
    public static final String DISPATCHER = "fedpipe.trainer-dispatcher";

    /**
     * Local hook: the scheduler to register with. The trainer also finds it by itself through
     * {@link ServiceKeys#SCHEDULER}; either way it sends {@link NodeProtocol.Register} to
     * every scheduler it has not registered with yet.
     */
    public record SchedulerAvailable(ActorRef<NodeProtocol.Register> scheduler) implements TrainerCommand {}

    private record SchedulersListed(Receptionist.Listing listing) implements TrainerCommand {}

    private record RegisteredAt(NodeProtocol.Registered reply) implements TrainerCommand {}

    private record PrepareDone(PrepareJob cmd, TrainerJob.Loaded loaded, Throwable error) implements TrainerCommand {}

    private record Trained(String jobId, int round, LocalResult result, Throwable error) implements TrainerCommand {}

    private record SendUploads(String jobId, int round) implements TrainerCommand {}

    /** A round's slices as they arrive; the reply address of each partition is the latest one seen. */
    private static final class Slices {
        final int round;
        final RoundAssignment[] byPartition;
        long lastArrivalNanos;

        Slices(int round, int partitions) {
            this.round = round;
            this.byPartition = new RoundAssignment[partitions];
        }

        boolean complete() {
            for (RoundAssignment a : byPartition) {
                if (a == null) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * A trained round: its parts per partition, kept to answer a re-issued assignment.
     * {@code trainMillis}: slices-to-upload time measured at the first upload (NaN before it); a re-sent
     * upload reports it again, so that a round re-issued after a fail-over does not look slow.
     */
    private record Done(int round, List<NodeUpdate> parts, LocalResult result, long startNanos, double trainMillis) {}

    public static Behavior<TrainerCommand> create(NodeProfile profile, Path dataDir) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Trainer(ctx, timers, profile, dataDir)));
    }

    private final TimerScheduler<TrainerCommand> timers;
    private final NodeProfile profile;
    private final Path dataDir;
    private final Executor djl;
    private final Map<String, TrainerJob> jobs = new HashMap<>();
    private final Set<String> preparing = new HashSet<>();
    private final Map<String, Slices> slices = new HashMap<>();
    private final Map<String, Done> done = new HashMap<>();
    private final Deque<Slices> ready = new ArrayDeque<>();
    private final Set<ActorRef<NodeProtocol.Register>> schedulers = new HashSet<>();
    private Slices training;

    private Trainer(ActorContext<TrainerCommand> ctx, TimerScheduler<TrainerCommand> timers, NodeProfile profile,
            Path dataDir) {
        super(ctx);
        this.timers = timers;
        this.profile = profile;
        this.dataDir = dataDir;
        this.djl = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(DISPATCHER));
        ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
        // The cluster receptionist fails when one reference both registers and subscribes, and message
        // adapters share the actor's reference: a child subscribes and forwards the listings.
        ActorRef<TrainerCommand> self = ctx.getSelf();
        ActorRef<Receptionist.Listing> listings = ctx.spawn(Behaviors.<Receptionist.Listing>receiveMessage(l -> {
            self.tell(new SchedulersListed(l));
            return Behaviors.same();
        }), "scheduler-listings");
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(ServiceKeys.SCHEDULER, listings));
    }

    @Override
    public Receive<TrainerCommand> createReceive() {
        return newReceiveBuilder()
                .onMessage(SchedulerAvailable.class, m -> onScheduler(m.scheduler()))
                .onMessage(SchedulersListed.class, this::onListing)
                .onMessage(RegisteredAt.class, this::onRegistered)
                .onMessage(PrepareJob.class, this::onPrepare)
                .onMessage(PrepareDone.class, this::onPrepared)
                .onMessage(RoundAssignment.class, this::onAssignment)
                .onMessage(Trained.class, this::onTrained)
                .onMessage(SendUploads.class, this::onSendUploads)
                .onMessage(DeltaAck.class, this::onAck)
                .onMessage(FinishJob.class, this::onFinish)
                .onSignal(org.apache.pekko.actor.typed.PostStop.class, s -> {
                    jobs.values().forEach(TrainerJob::close);
                    return this;
                })
                .build();
    }

    private Behavior<TrainerCommand> onListing(SchedulersListed m) {
        for (ActorRef<NodeProtocol.Register> s : m.listing().getServiceInstances(ServiceKeys.SCHEDULER)) {
            onScheduler(s);
        }
        return this;
    }

    private Behavior<TrainerCommand> onScheduler(ActorRef<NodeProtocol.Register> scheduler) {
        if (schedulers.add(scheduler)) {
            ActorRef<NodeProtocol.Registered> replyTo = getContext().messageAdapter(NodeProtocol.Registered.class,
                    RegisteredAt::new);
            scheduler.tell(new NodeProtocol.Register(profile, replyTo, getContext().getSelf()));
            getContext().getLog().info("trainer {}: registering with scheduler {}", profile.nodeId(), scheduler.path());
        }
        return this;
    }

    private Behavior<TrainerCommand> onRegistered(RegisteredAt m) {
        getContext().getLog().info("trainer {}: registered; the scheduler knows {} nodes", m.reply().nodeId(),
                m.reply().knownNodes());
        return this;
    }

    private Behavior<TrainerCommand> onPrepare(PrepareJob cmd) {
        String jobId = cmd.job().jobId();
        if (jobs.containsKey(jobId) || !preparing.add(jobId)) {
            getContext().getLog().info("trainer {}: job {} is already prepared or preparing", profile.nodeId(), jobId);
            if (jobs.containsKey(jobId)) {
                TrainerJob j = jobs.get(jobId);
                cmd.replyTo().tell(new io.fedpipe.cluster.protocol.JobProtocol.JobPrepared(jobId, profile.nodeId(),
                        j.data.size(), Map.of(), 0));
            }
            return this;
        }
        CompletableFuture<TrainerJob.Loaded> work = CompletableFuture.supplyAsync(JobInputs.unchecked(
                () -> TrainerJob.prepare(cmd, profile.nodeId(), dataDir, profile.threads())), djl);
        getContext().pipeToSelf(work, (loaded, error) -> new PrepareDone(cmd, loaded, error));
        return this;
    }

    private Behavior<TrainerCommand> onPrepared(PrepareDone m) {
        String jobId = m.cmd().job().jobId();
        preparing.remove(jobId);
        if (m.error() != null) {
            String reason = reason(m.error());
            getContext().getLog().warn("trainer {}: refuses job {}: {}", profile.nodeId(), jobId, reason);
            m.cmd().replyTo().tell(new JobRefused(jobId, profile.nodeId(), reason));
            return this;
        }
        jobs.put(jobId, m.loaded().job());
        getContext().getLog().info("trainer {}: job {} prepared with {} examples", profile.nodeId(), jobId,
                m.loaded().job().data.size());
        m.cmd().replyTo().tell(m.loaded().reply());
        return this;
    }

    private Behavior<TrainerCommand> onAssignment(RoundAssignment a) {
        NodeAssignment assignment = a.assignment();
        int round = assignment.round();
        TrainerJob job = jobs.get(a.jobId());
        String refusal = job == null ? "job " + a.jobId() + " is not prepared on node " + profile.nodeId()
                : !assignment.nodeId().equals(profile.nodeId()) ? "the slice is for node " + assignment.nodeId()
                        + ", this is node " + profile.nodeId()
                : a.partition() >= job.job.partitions() ? "job " + a.jobId() + " has " + job.job.partitions()
                        + " partitions, not " + (a.partition() + 1)
                : null;
        if (refusal != null) {
            a.replyTo().tell(new RoundDeclined(a.jobId(), a.partition(), round, new Failure(profile.nodeId(), refusal)));
            return this;
        }
        Done d = done.get(a.jobId());
        if (d != null && d.round() == round) {
            getContext().getLog().info("trainer {}: round {} of {} re-issued by partition {}; re-sending its upload",
                    profile.nodeId(), round, a.jobId(), a.partition());
            a.replyTo().tell(upload(a.jobId(), a.partition(), d));
            return this;
        }
        Slices s = slices.get(a.jobId());
        if (s != null && s.round > round || d != null && d.round() > round) {
            getContext().getLog().info("trainer {}: ignores a slice of past round {} of {}", profile.nodeId(), round,
                    a.jobId());
            return this;
        }
        if (s == null || s.round < round) {
            s = new Slices(round, job.job.partitions());
            slices.put(a.jobId(), s);
        }
        boolean wasComplete = s.complete();
        s.byPartition[a.partition()] = a;
        s.lastArrivalNanos = System.nanoTime();
        if (!wasComplete && s.complete()) {
            ready.add(s);
            startNext();
        }
        return this;
    }

    private void startNext() {
        if (training != null || ready.isEmpty()) {
            return;
        }
        Slices s = ready.poll();
        String jobId = s.byPartition[0].jobId();
        TrainerJob job = jobs.get(jobId);
        if (job == null) {
            startNext();
            return;
        }
        training = s;
        List<NodeAssignment> parts = new ArrayList<>();
        for (RoundAssignment a : s.byPartition) {
            parts.add(a.assignment());
        }
        CompletableFuture<LocalResult> work = CompletableFuture.supplyAsync(
                () -> job.train(Partitioning.merge(parts)), djl);
        getContext().pipeToSelf(work, (r, e) -> new Trained(jobId, s.round, r, e));
    }

    private Behavior<TrainerCommand> onTrained(Trained m) {
        Slices s = training;
        TrainerJob job = jobs.get(m.jobId());
        if (m.error() != null || job == null) {
            String reason = job == null ? "job " + m.jobId() + " finished during training" : reason(m.error());
            getContext().getLog().warn("trainer {}: round {} of {} failed: {}", profile.nodeId(), m.round(), m.jobId(),
                    reason);
            for (RoundAssignment a : s.byPartition) {
                a.replyTo().tell(new RoundDeclined(m.jobId(), a.partition(), m.round(),
                        new Failure(profile.nodeId(), reason)));
            }
            training = null;
            startNext();
            return this;
        }
        LocalResult r = m.result();
        List<NodeUpdate> parts = Partitioning.split(r.update(), job.job.partitions());
        done.put(m.jobId(), new Done(m.round(), parts, r, s.lastArrivalNanos, Double.NaN));
        double bytesDown = 0;
        for (RoundAssignment a : s.byPartition) {
            bytesDown += a.assignment().bytes();
        }
        double delay = r.computeSeconds() * (1 / profile.computeScale() - 1) + 8 * bytesDown / (profile.downlinkMbps() * 1e6)
                + 8.0 * r.bytes() / (profile.uplinkMbps() * 1e6);
        timers.startSingleTimer("upload-" + m.jobId(), new SendUploads(m.jobId(), m.round()),
                Duration.ofNanos((long) (delay * 1e9)));
        return this;
    }

    private Behavior<TrainerCommand> onSendUploads(SendUploads m) {
        Slices s = training;
        Done d = done.get(m.jobId());
        if (s != null && d != null && d.round() == m.round()) {
            d = new Done(d.round(), d.parts(), d.result(), d.startNanos(), (System.nanoTime() - d.startNanos()) / 1e6);
            done.put(m.jobId(), d);
            for (RoundAssignment a : s.byPartition) {
                a.replyTo().tell(upload(m.jobId(), a.partition(), d));
            }
        }
        training = null;
        startNext();
        return this;
    }

    private DeltaUpload upload(String jobId, int partition, Done d) {
        double millis = Double.isNaN(d.trainMillis()) ? (System.nanoTime() - d.startNanos()) / 1e6 : d.trainMillis();
        return new DeltaUpload(jobId, partition, d.round(), d.parts().get(partition), d.result().computeSeconds(),
                d.result().lastLoss(), millis, getContext().getSelf().narrow());
    }

    private Behavior<TrainerCommand> onAck(DeltaAck ack) {
        if (ack.outcome() == Outcome.ACCEPTED && ack.rejections().isEmpty()) {
            getContext().getLog().debug("trainer {}: delta of round {} accepted by {}/{}", profile.nodeId(), ack.round(),
                    ack.jobId(), ack.partition());
        } else {
            getContext().getLog().warn("trainer {}: delta of round {} for {}/{}: {} {}", profile.nodeId(), ack.round(),
                    ack.jobId(), ack.partition(), ack.outcome(), ack.rejections());
        }
        return this;
    }

    private Behavior<TrainerCommand> onFinish(FinishJob m) {
        TrainerJob job = jobs.remove(m.jobId());
        slices.remove(m.jobId());
        done.remove(m.jobId());
        ready.removeIf(s -> s.byPartition[0].jobId().equals(m.jobId()));
        if (job != null) {
            // Closed on the DJL thread, after whatever runs there now.
            CompletableFuture.runAsync(job::close, djl);
            getContext().getLog().info("trainer {}: released job {} ({})", profile.nodeId(), m.jobId(), m.reason());
        }
        return this;
    }

    /** The exception's own message (the cause's, for wrapped ones), never a bare class name. */
    static String reason(Throwable t) {
        Throwable e = t;
        while ((e instanceof java.util.concurrent.CompletionException || e instanceof java.io.UncheckedIOException
                || e instanceof java.util.concurrent.ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
