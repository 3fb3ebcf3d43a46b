package io.fedpipe.cluster.gateway;

import io.fedpipe.cluster.protocol.SchedulerProtocol;

import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.protocol.ServiceKeys;
import io.fedpipe.core.MatrixId;
import io.fedpipe.core.HostTensor;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * One {@link GatewayProtocol.GetGlobalModel} request: asks the scheduler how many partitions the
 * job has, asks every aggregator partition for its {@link JobProtocol.GlobalSlice}, and answers
 * with their union. A short-lived child of the gateway; it stops after answering.
 *
 * <p>Passivated partitions (a finished job) are restarted by sharding from their checkpoint, so
 * the model of a finished job can be fetched as long as its journal exists.
 */
final class GlobalModelFetch {

    private GlobalModelFetch() {}

    private sealed interface Event permits Status, Slice, Failed {}

    private record Status(GatewayProtocol.Reply reply) implements Event {}

    private record Slice(JobProtocol.GlobalSlice slice) implements Event {}

    private record Failed(String reason) implements Event {}

    static Behavior<Event> create(String jobId, ActorRef<SchedulerProtocol.Command> scheduler,
            ActorRef<GatewayProtocol.Reply> replyTo, Duration timeout) {
        return Behaviors.setup(ctx -> {
            ctx.ask(GatewayProtocol.Reply.class, scheduler, timeout, r -> new SchedulerProtocol.GetJob(jobId, r),
                    (reply, e) -> reply != null ? new Status(reply)
                            : new Failed("the scheduler did not answer within " + timeout.toSeconds() + " s"));
            return Behaviors.receive(Event.class)
                    .onMessage(Status.class, s -> onStatus(ctx, jobId, s.reply(), replyTo, timeout))
                    .onMessage(Failed.class, f -> fail(replyTo, f.reason()))
                    .build();
        });
    }

    private static Behavior<Event> onStatus(ActorContext<Event> ctx, String jobId, GatewayProtocol.Reply reply,
            ActorRef<GatewayProtocol.Reply> replyTo, Duration timeout) {
        if (!(reply instanceof GatewayProtocol.JobStatus status)) {
            replyTo.tell(reply);
            return Behaviors.stopped();
        }
        if (status.history().isEmpty()) {
            return fail(replyTo, "job " + jobId + " has no closed round yet, so no global model (state "
                    + status.state() + ")");
        }
        int partitions = status.partitions();
        for (int p = 0; p < partitions; p++) {
            int partition = p;
            // Addressed through the protocol's entity key, as the scheduler does: the gateway needs
            // the partition's reference, not the aggregator's code.
            ctx.ask(JobProtocol.GlobalSlice.class, ClusterSharding.get(ctx.getSystem()).entityRefFor(
                    ServiceKeys.AGGREGATOR, ServiceKeys.aggregatorEntityId(jobId, partition)), timeout,
                    r -> new JobProtocol.GetGlobal(jobId, partition, r),
                    (slice, e) -> slice != null ? new Slice(slice)
                            : new Failed("aggregator partition " + partition + " of job " + jobId
                                    + " did not answer within " + timeout.toSeconds() + " s"));
        }
        return collecting(jobId, partitions, replyTo, new HashMap<>(), new HashMap<>(), Integer.MAX_VALUE, 0);
    }

    private static Behavior<Event> collecting(String jobId, int partitions, ActorRef<GatewayProtocol.Reply> replyTo,
            Map<MatrixId, ScaledAdapter> adapters, Map<String, HostTensor> dense, int roundsDone, int received) {
        return Behaviors.receive(Event.class)
                .onMessage(Failed.class, f -> fail(replyTo, f.reason()))
                .onMessage(Slice.class, s -> {
                    adapters.putAll(s.slice().adapters());
                    dense.putAll(s.slice().dense());
                    int rounds = Math.min(roundsDone, s.slice().roundsDone());
                    if (received + 1 < partitions) {
                        return collecting(jobId, partitions, replyTo, adapters, dense, rounds, received + 1);
                    }
                    replyTo.tell(new GatewayProtocol.GlobalModel(jobId, rounds, adapters, dense));
                    return Behaviors.stopped();
                })
                .build();
    }

    private static Behavior<Event> fail(ActorRef<GatewayProtocol.Reply> replyTo, String reason) {
        replyTo.tell(new GatewayProtocol.RequestFailed(reason));
        return Behaviors.stopped();
    }
}
