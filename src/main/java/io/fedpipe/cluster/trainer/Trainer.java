package io.fedpipe.cluster.trainer;

import ai.djl.Device;
import io.fedpipe.aggregation.Failure;
import io.fedpipe.cluster.protocol.JobProtocol.FinishJob;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.protocol.JobProtocol.JobPrepared;
import io.fedpipe.cluster.protocol.JobProtocol.JobRefused;
import io.fedpipe.cluster.protocol.JobProtocol.PrepareJob;
import io.fedpipe.cluster.protocol.JobProtocol.TrainerCommand;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.protocol.NodeProtocol;
import io.fedpipe.cluster.protocol.ServiceKeys;
import io.fedpipe.cluster.protocol.Partitioning;
import io.fedpipe.cluster.protocol.RoundProtocol.DeltaAck;
import io.fedpipe.cluster.protocol.RoundProtocol.Outcome;
import io.fedpipe.cluster.protocol.RoundProtocol.RoundAssignment;
import io.fedpipe.cluster.protocol.RoundProtocol.RoundDeclined;
import io.fedpipe.round.LocalResult;
import io.fedpipe.round.VirtualClock;
import java.nio.file.Path;
import java.time.Duration;
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
import org.apache.pekko.actor.typed.PostStop;
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
 * {@link VirtualClock#remainingSeconds}, the simulator's node time less the compute really spent,
 * so a node at scale 0.25 answers after four times its measured compute and a slow link costs its
 * real bytes.
 *
 * <p>A round already trained is not trained again: an assignment re-issued for it (the aggregator
 * moved) is answered with the cached upload, which the aggregator takes or acknowledges as a
 * duplicate.
 */
public final class Trainer extends AbstractBehavior<TrainerCommand> {

    /** Trainers register under this key; the scheduler finds them with the Receptionist. */
    public static final ServiceKey<TrainerCommand> SERVICE_KEY = ServiceKeys.TRAINER;

    /** The actor's name under /system (cluster.conf routes it over the large-message lane). */
    public static final String NAME = "fedpipe-trainer";

    /** The dispatcher DJL work runs on (reference.conf). */
    public static final String DISPATCHER = "fedpipe.trainer-dispatcher";

    /**
     * Local hook: the scheduler to register with. The trainer also finds it by itself through
     * {@link ServiceKeys#SCHEDULER}; either way ({@link SchedulerRegistration}) it sends
     * {@link NodeProtocol.Register} to every scheduler it has not registered with yet.
     */
    public record SchedulerAvailable(ActorRef<NodeProtocol.Register> scheduler) implements TrainerCommand {}

    private record PrepareDone(PrepareJob cmd, TrainerJob.Loaded loaded, Throwable error) implements TrainerCommand {}

    private record Trained(String jobId, int round, LocalResult result, Throwable error) implements TrainerCommand {}

    private record SendUploads(String jobId, int round) implements TrainerCommand {}

    /** @param device where the node's models live ({@code TrainerSettings.resolveDevice}) */
    public static Behavior<TrainerCommand> create(NodeProfile profile, Path dataDir, Device device) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Trainer(ctx, timers, profile, dataDir, device)));
    }

    private final TimerScheduler<TrainerCommand> timers;
    private final NodeProfile profile;
    private final Path dataDir;
    private final Device device;
    private final Executor djl;
    private final Map<String, TrainerJob> jobs = new HashMap<>();
    private final Set<String> preparing = new HashSet<>();
    private final RoundSlices slices = new RoundSlices();
    private final TrainedRounds trained = new TrainedRounds();
    private final ActorRef<SchedulerRegistration.Command> registration;
    /** The round on the DJL thread (training, or waiting out its emulated delay), or null. */
    private RoundSlices.Round training;

    private Trainer(ActorContext<TrainerCommand> ctx, TimerScheduler<TrainerCommand> timers, NodeProfile profile,
            Path dataDir, Device device) {
        super(ctx);
        this.timers = timers;
        this.profile = profile;
        this.dataDir = dataDir;
        this.device = device;
        this.djl = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(DISPATCHER));
        ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
        this.registration = ctx.spawn(SchedulerRegistration.create(profile, ctx.getSelf()), "scheduler-registration");
    }

    @Override
    public Receive<TrainerCommand> createReceive() {
        return newReceiveBuilder()
                .onMessage(SchedulerAvailable.class, this::onScheduler)
                .onMessage(PrepareJob.class, this::onPrepare)
                .onMessage(PrepareDone.class, this::onPrepared)
                .onMessage(RoundAssignment.class, this::onAssignment)
                .onMessage(Trained.class, this::onTrained)
                .onMessage(SendUploads.class, this::onSendUploads)
                .onMessage(DeltaAck.class, this::onAck)
                .onMessage(FinishJob.class, this::onFinish)
                .onMessage(JobProtocol.EvaluateJob.class, this::onEvaluate)
                .onSignal(PostStop.class, s -> {
                    jobs.values().forEach(TrainerJob::close);
                    return this;
                })
                .build();
    }

    private Behavior<TrainerCommand> onScheduler(SchedulerAvailable m) {
        registration.tell(new SchedulerRegistration.Available(m.scheduler()));
        return this;
    }

    private Behavior<TrainerCommand> onPrepare(PrepareJob cmd) {
        String jobId = cmd.job().jobId();
        if (jobs.containsKey(jobId) || !preparing.add(jobId)) {
            getContext().getLog().info("trainer {}: job {} is already prepared or preparing", profile.nodeId(), jobId);
            if (jobs.containsKey(jobId)) {
                TrainerJob j = jobs.get(jobId);
                cmd.replyTo().tell(new JobPrepared(jobId, profile.nodeId(),
                        j.dataSize(), Map.of(), 0));
            }
            return this;
        }
        CompletableFuture<TrainerJob.Loaded> work = CompletableFuture.supplyAsync(JobInputs.unchecked(
                () -> TrainerJob.prepare(cmd, profile.nodeId(), dataDir, profile.threads(), device)), djl);
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
                m.loaded().job().dataSize());
        m.cmd().replyTo().tell(m.loaded().reply());
        return this;
    }

    private Behavior<TrainerCommand> onAssignment(RoundAssignment a) {
        int round = a.assignment().round();
        TrainerJob job = jobs.get(a.jobId());
        String refusal = RoundSlices.refusal(a, job == null ? 0 : job.job.partitions(), profile.nodeId());
        if (refusal != null) {
            a.replyTo().tell(new RoundDeclined(a.jobId(), a.partition(), round, new Failure(profile.nodeId(), refusal)));
            return this;
        }
        TrainedRounds.Trained t = trained.get(a.jobId());
        if (t != null && t.round() == round) {
            getContext().getLog().info("trainer {}: round {} of {} re-issued by partition {}; re-sending its upload",
                    profile.nodeId(), round, a.jobId(), a.partition());
            a.replyTo().tell(TrainedRounds.upload(a.jobId(), a.partition(), t, getContext().getSelf().narrow()));
            return this;
        }
        if (slices.isPast(a.jobId(), round) || trained.isPast(a.jobId(), round)) {
            getContext().getLog().info("trainer {}: ignores a slice of past round {} of {}", profile.nodeId(), round,
                    a.jobId());
            return this;
        }
        if (slices.add(a, job.job.partitions())) {
            startNext();
        }
        return this;
    }

    /** Starts the next complete round of a job still held, unless one is on the DJL thread. */
    private void startNext() {
        RoundSlices.Round next;
        while (training == null && (next = slices.nextReady()) != null) {
            TrainerJob job = jobs.get(next.jobId());
            if (job != null) {
                RoundSlices.Round r = next;
                training = r;
                CompletableFuture<LocalResult> work = CompletableFuture.supplyAsync(() -> job.train(r.merged()), djl);
                getContext().pipeToSelf(work, (res, e) -> new Trained(r.jobId(), r.round, res, e));
            }
        }
    }

    private Behavior<TrainerCommand> onTrained(Trained m) {
        RoundSlices.Round r = training;
        TrainerJob job = jobs.get(m.jobId());
        if (m.error() != null || job == null) {
            String reason = job == null ? "job " + m.jobId() + " finished during training" : reason(m.error());
            getContext().getLog().warn("trainer {}: round {} of {} failed: {}", profile.nodeId(), m.round(), m.jobId(),
                    reason);
            for (RoundAssignment a : r.slices()) {
                a.replyTo().tell(new RoundDeclined(m.jobId(), a.partition(), m.round(),
                        new Failure(profile.nodeId(), reason)));
            }
            training = null;
            startNext();
            return this;
        }
        LocalResult res = m.result();
        trained.put(m.jobId(), m.round(), Partitioning.split(res.update(), job.job.partitions()), res,
                r.lastArrivalNanos());
        // The node really trained for computeSeconds; emulation adds the slower node's rest and its links.
        double delay = VirtualClock.remainingSeconds(res.computeSeconds(), r.bytesDown(), res.bytes(),
                profile.emulation());
        timers.startSingleTimer("upload-" + m.jobId(), new SendUploads(m.jobId(), m.round()),
                Duration.ofNanos((long) (delay * 1e9)));
        return this;
    }

    private Behavior<TrainerCommand> onSendUploads(SendUploads m) {
        TrainedRounds.Trained t = training == null ? null : trained.firstUpload(m.jobId(), m.round());
        if (t != null) {
            for (RoundAssignment a : training.slices()) {
                a.replyTo().tell(TrainedRounds.upload(m.jobId(), a.partition(), t, getContext().getSelf().narrow()));
            }
        }
        training = null;
        startNext();
        return this;
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

    /** The job is finished and this node scores it: a child fetches the global model and decodes. */
    private Behavior<TrainerCommand> onEvaluate(JobProtocol.EvaluateJob m) {
        TrainerJob job = jobs.get(m.job().jobId());
        if (job == null) {
            m.replyTo().tell(new JobProtocol.JobEvaluated(m.job().jobId(), new io.fedpipe.cluster.protocol
                    .GatewayProtocol.GenerationEvaluation(profile.nodeId(), 0, "", Map.of(), Map.of(), List.of(), 0,
                    "node " + profile.nodeId() + " no longer holds the job (restarted?)")));
            return this;
        }
        getContext().spawnAnonymous(JobEvaluation.create(m, job, profile.nodeId(), djl, getContext().getSelf()));
        return this;
    }

    private Behavior<TrainerCommand> onFinish(FinishJob m) {
        TrainerJob job = jobs.remove(m.jobId());
        slices.remove(m.jobId());
        trained.remove(m.jobId());
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
