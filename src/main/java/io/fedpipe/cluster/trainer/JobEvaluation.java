package io.fedpipe.cluster.trainer;

import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.protocol.ServiceKeys;
import io.fedpipe.core.MatrixId;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * A finished causal-LM job's evaluation on this node (a short-lived child of the trainer): asks
 * every aggregator partition for its global adapters, decodes the test prompts on the DJL thread
 * ({@link TrainerJob#evaluate}), answers the scheduler with {@link JobProtocol.JobEvaluated}
 * (scores, or the reason there are none), then tells the trainer to release the job.
 */
final class JobEvaluation {

    /** A partition that does not answer within this fails the evaluation (the job stays FINISHED). */
    static final Duration SLICE_TIMEOUT = Duration.ofSeconds(30);

    private JobEvaluation() {}

    private sealed interface Event permits Slice, Failed, Done {}

    private record Slice(JobProtocol.GlobalSlice slice) implements Event {}

    private record Failed(String reason) implements Event {}

    private record Done(GatewayProtocol.GenerationEvaluation evaluation, Throwable error) implements Event {}

    static Behavior<Event> create(JobProtocol.EvaluateJob cmd, TrainerJob job, String nodeId, Executor djl,
            ActorRef<JobProtocol.TrainerCommand> trainer) {
        return Behaviors.setup(ctx -> {
            String jobId = cmd.job().jobId();
            int partitions = cmd.job().partitions();
            for (int p = 0; p < partitions; p++) {
                int partition = p;
                ctx.ask(JobProtocol.GlobalSlice.class, ClusterSharding.get(ctx.getSystem()).entityRefFor(
                        ServiceKeys.AGGREGATOR, ServiceKeys.aggregatorEntityId(jobId, partition)), SLICE_TIMEOUT,
                        r -> new JobProtocol.GetGlobal(jobId, partition, r),
                        (slice, e) -> slice != null ? new Slice(slice) : new Failed("aggregator partition "
                                + partition + " did not send the global adapters within "
                                + SLICE_TIMEOUT.toSeconds() + " s"));
            }
            return collecting(ctx, cmd, job, nodeId, djl, trainer, new HashMap<>(), 0);
        });
    }

    private static Behavior<Event> collecting(ActorContext<Event> ctx, JobProtocol.EvaluateJob cmd, TrainerJob job,
            String nodeId, Executor djl, ActorRef<JobProtocol.TrainerCommand> trainer,
            Map<MatrixId, ScaledAdapter> adapters, int received) {
        return Behaviors.receive(Event.class)
                .onMessage(Failed.class, f -> answer(cmd, nodeId, trainer, failure(nodeId, f.reason())))
                .onMessage(Slice.class, s -> {
                    adapters.putAll(s.slice().adapters());
                    if (received + 1 < cmd.job().partitions()) {
                        return collecting(ctx, cmd, job, nodeId, djl, trainer, adapters, received + 1);
                    }
                    ctx.getLog().info("trainer {}: decoding the test prompts of job {} with {} global adapters", nodeId,
                            cmd.job().jobId(), adapters.size());
                    CompletableFuture<GatewayProtocol.GenerationEvaluation> work = CompletableFuture.supplyAsync(
                            JobInputs.unchecked(() -> job.evaluate(nodeId, adapters)), djl);
                    ctx.pipeToSelf(work, Done::new);
                    return Behaviors.receive(Event.class)
                            .onMessage(Done.class, d -> answer(cmd, nodeId, trainer, d.error() == null ? d.evaluation()
                                    : failure(nodeId, Trainer.reason(d.error()))))
                            .onMessage(Failed.class, f -> Behaviors.same())
                            .build();
                })
                .build();
    }

    private static GatewayProtocol.GenerationEvaluation failure(String nodeId, String reason) {
        return new GatewayProtocol.GenerationEvaluation(nodeId, 0, "", Map.of(), Map.of(), List.of(), 0, reason);
    }

    private static Behavior<Event> answer(JobProtocol.EvaluateJob cmd, String nodeId,
            ActorRef<JobProtocol.TrainerCommand> trainer, GatewayProtocol.GenerationEvaluation evaluation) {
        cmd.replyTo().tell(new JobProtocol.JobEvaluated(cmd.job().jobId(), evaluation));
        trainer.tell(new JobProtocol.FinishJob(cmd.job().jobId(), "finished and evaluated on " + nodeId));
        return Behaviors.stopped();
    }
}
