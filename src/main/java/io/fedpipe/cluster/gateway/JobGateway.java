package io.fedpipe.cluster.gateway;

import io.fedpipe.cluster.protocol.SchedulerProtocol;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.job.JobSpec;
import io.fedpipe.job.JobSpecReader;
import java.util.Locale;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Where users' requests enter the cluster (DESIGN.md §2): validates job files ({@link io.fedpipe.job.JobSpecReader}),
 * gives each job an id, and hands requests to the scheduler singleton, which answers the
 * requester directly. Transport-neutral: it takes {@link GatewayProtocol.Request}s with a reply
 * address, whatever carried them ({@link ClusterClientEndpoint} for Cluster Client).
 */
public final class JobGateway extends AbstractBehavior<JobGateway.Request> {

    /** A request and where its answer goes. */
    public record Request(GatewayProtocol.Request request, ActorRef<GatewayProtocol.Reply> replyTo) {}

    private final ActorRef<SchedulerProtocol.Command> scheduler;
    private final java.time.Duration fetchTimeout;

    /**
     * @param fetchTimeout how long a {@link GatewayProtocol.GetGlobalModel} waits for the scheduler
     *                     and for each aggregator partition
     */
    public static Behavior<Request> create(ActorRef<SchedulerProtocol.Command> scheduler, java.time.Duration fetchTimeout) {
        return Behaviors.setup(ctx -> new JobGateway(ctx, scheduler, fetchTimeout));
    }

    private JobGateway(ActorContext<Request> ctx, ActorRef<SchedulerProtocol.Command> scheduler,
            java.time.Duration fetchTimeout) {
        super(ctx);
        this.scheduler = scheduler;
        this.fetchTimeout = fetchTimeout;
    }

    @Override
    public Receive<Request> createReceive() {
        return newReceiveBuilder().onMessage(Request.class, this::onRequest).build();
    }

    private Behavior<Request> onRequest(Request r) {
        GatewayProtocol.Request q = r.request();
        if (q instanceof GatewayProtocol.SubmitJob s) {
            JobSpec job;
            try {
                job = JobSpecReader.parseJob(s.jobFile(), s.name(), newJobId(s.name()));
            } catch (IllegalArgumentException e) {
                getContext().getLog().info("job file {} rejected: {}", s.name(), e.getMessage());
                r.replyTo().tell(new GatewayProtocol.JobRejected(e.getMessage()));
                return this;
            }
            scheduler.tell(new SchedulerProtocol.SubmitJob(job, s.name(), r.replyTo()));
        } else if (q instanceof GatewayProtocol.GetJobStatus g) {
            scheduler.tell(new SchedulerProtocol.GetJob(g.jobId(), r.replyTo()));
        } else if (q instanceof GatewayProtocol.ListJobs) {
            scheduler.tell(new SchedulerProtocol.ListJobs(r.replyTo()));
        } else if (q instanceof GatewayProtocol.CancelJob c) {
            scheduler.tell(new SchedulerProtocol.CancelJob(c.jobId(), r.replyTo()));
        } else if (q instanceof GatewayProtocol.GetGlobalModel g) {
            getContext().spawnAnonymous(GlobalModelFetch.create(g.jobId(), scheduler, r.replyTo(), fetchTimeout));
        }
        return this;
    }

    /**
     * {@code <name>-<8 hex>}: the file name without {@code .conf}, reduced to {@code [a-z0-9-]}
     * (the id becomes part of sharded entity ids and metric labels), plus a random suffix.
     */
    static String newJobId(String name) {
        String base = name.toLowerCase(Locale.ROOT).replaceFirst("\\.conf$", "").replaceAll("[^a-z0-9-]+", "-")
                .replaceAll("^-+|-+$", "");
        base = base.isEmpty() ? "job" : base.substring(0, Math.min(40, base.length()));
        return base + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
