package io.fedpipe.cluster;

import io.fedpipe.cluster.protocol.SchedulerProtocol;

import io.fedpipe.aggregation.Failure;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.aggregation.Rejection;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.cluster.aggregator.Aggregator;
import io.fedpipe.cluster.protocol.NodeRole;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.protocol.NodeProtocol;
import io.fedpipe.cluster.protocol.RoundProtocol;
import io.fedpipe.cluster.protocol.WireMessage;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.core.HostTensor;
import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.NodeRoundPlan;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.pekko.actor.typed.ActorRef;

/** One sample of every wire message, with seeded contents, for round-trip tests. */
public final class WireSamples {

    private WireSamples() {}

    public static NodeProfile profile(String id) {
        return new NodeProfile(id, EnumSet.of(NodeRole.EDGE, NodeRole.AGGREGATOR), 2L << 30, 100, 50, 0.5, 1);
    }

    /** A node that sent its measured profile ({@code fedpipe.node.profile}). */
    public static NodeProfile measuredProfile(String id) {
        return new NodeProfile(id, EnumSet.of(NodeRole.EDGE), 2L << 30, 100, 50, 1.0, 1,
                new NodeProfile.Measured(0.085, 120, Map.of("fp32", 1.0, "fp16", 1.7, "bf16", 1.7, "int8", 1.4,
                        "nf4", 1.5)));
    }

    public static HostTensor tensor(long seed, long... shape) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] data = new float[Math.toIntExact(HostTensor.elementCount(shape))];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) rnd.nextGaussian();
        }
        return new HostTensor(shape, data);
    }

    /** An adapter a [r, in], b [out, r]. */
    public static PeftAdapters.Adapter adapter(long seed, int r, int in, int out) {
        return new PeftAdapters.Adapter(tensor(seed, r, in), tensor(seed + 1, out, r));
    }

    public static NodeUpdate update(String node, int r, int in, int out) {
        MatrixId q = new MatrixId(0, LoraTarget.Q);
        MatrixId v = new MatrixId(1, LoraTarget.V);
        return new NodeUpdate(node, 1200, Map.of(q, adapter(1, r, in, out), v, adapter(3, r, in, out)),
                Map.of(q, 2.0f, v, 2.0f), Map.of("classifier.weight", tensor(5, 4, in)));
    }

    public static NodeAssignment assignment(String node) {
        MatrixId q = new MatrixId(0, LoraTarget.Q);
        MatrixId k = new MatrixId(2, LoraTarget.K);
        NodeRoundPlan plan = new NodeRoundPlan(node, Map.of(q, 4, k, 8), 20, 16, "nf4");
        return new NodeAssignment(3, plan, Map.of(q, new ScaledAdapter(adapter(7, 4, 24, 24), 4.0f)),
                Map.of("classifier.weight", tensor(9, 3, 24), "classifier.bias", tensor(10, 3)));
    }

    public static JobSpec job(String id) {
        return new JobSpec(id, "minilm-l6", new JobSpec.Data("wordnet-topics", 2000, 500, "dirichlet", 0.5), "fedpipe",
                5, List.of("q", "k", "v", "o"), 16f, 2e-3f, 2, 32, 42L, 2, 0.75, 120_000L,
                new JobSpec.PlannerChoices("cpu-2core", List.of("fp32", "int8", "nf4"), List.of(4, 8, 16),
                        List.of(4, 8, 16), 5, 40, 0.1, 0.8, 3.0),
                new JobSpec.ImportanceStage(12, 10, 4, 2), Double.POSITIVE_INFINITY, "fedpipe", "default");
    }

    /** One message of each wire class; {@code ref} stands in for every reply address. */
    @SuppressWarnings("unchecked")
    public static List<WireMessage> all(ActorRef<?> ref) {
        return List.of(
                new NodeProtocol.Register(profile("edge-a"), (ActorRef<NodeProtocol.Registered>) ref),
                new NodeProtocol.Registered("edge-a", 3),
                new RoundProtocol.RoundAssignment("job-1", 1, assignment("edge-a"),
                        (ActorRef<RoundProtocol.TrainerReply>) ref),
                new RoundProtocol.DeltaUpload("job-1", 1, 3, update("edge-a", 4, 24, 24), 1.5, 0.7, 1600,
                        (ActorRef<RoundProtocol.DeltaAck>) ref),
                new RoundProtocol.RoundDeclined("job-1", 1, 3, new Failure("edge-b", "plan needs 900 MiB, budget 512 MiB")),
                new RoundProtocol.DeltaAck("job-1", 1, 3, "edge-a", RoundProtocol.Outcome.ACCEPTED,
                        List.of(new Rejection("edge-a", "1.v", "norm 1e9 above limit 1e4"))),
                new JobProtocol.PrepareJob(job("job-1"), 1, 3, List.of(new MatrixId(0, LoraTarget.Q)), "nf4", 8,
                        (ActorRef<JobProtocol.SchedulerEvent>) ref),
                new JobProtocol.JobPrepared("job-1", "edge-a", 480, Map.of(new MatrixId(0, LoraTarget.Q), 0.25), 1.5),
                new JobProtocol.JobRefused("job-1", "edge-b", "no data directory /data/b/wordnet"),
                new JobProtocol.OpenRound(job("job-1"), 1, 3, List.of(assignment("edge-a").plan()),
                        Map.of("edge-a", (ActorRef<RoundProtocol.RoundAssignment>) ref),
                        (ActorRef<JobProtocol.SchedulerEvent>) ref),
                new JobProtocol.RoundClosed("job-1", 1, 3, List.of(new JobProtocol.NodeRoundStats("edge-a", 1000, 2000,
                        1.5, 0.7, 1600)), List.of(), List.of(new Failure("edge-b", "timed out")), 1_700_000_000_000L),
                new JobProtocol.GetGlobal("job-1", 0, (ActorRef<JobProtocol.GlobalSlice>) ref),
                new JobProtocol.GlobalSlice("job-1", 0, 3, Map.of(new MatrixId(0, LoraTarget.Q),
                        new ScaledAdapter(adapter(7, 4, 24, 24), 4.0f)), Map.of("classifier.bias", tensor(10, 3))),
                new JobProtocol.FinishJob("job-1", "finished"),
                new JobProtocol.EvaluateJob(job("job-1"), (ActorRef<JobProtocol.SchedulerEvent>) ref),
                new JobProtocol.JobEvaluated("job-1", new GatewayProtocol.GenerationEvaluation("edge-a", 630, "greedy",
                        Map.of("bleu", 0.01), Map.of("bleu", 0.42), List.of(new GatewayProtocol.GenerationSample(
                                "name[The Eagle]", "Syn: a bird", "The Eagle is a pub.", "The Eagle is a pub.")), 12.5,
                        null)),
                new Aggregator.Passivate("job-1", 1),
                new NodeProtocol.Register(measuredProfile("edge-b"), (ActorRef<NodeProtocol.Registered>) ref,
                        (ActorRef<JobProtocol.TrainerCommand>) ref),
                new GatewayProtocol.SubmitJob("wordnet.conf", "model = minilm-l6\ntask = wordnet-topics"),
                new GatewayProtocol.GetJobStatus("job-1"),
                new GatewayProtocol.ListJobs(),
                new GatewayProtocol.CancelJob("job-1"),
                new GatewayProtocol.GetGlobalModel("job-1"),
                new GatewayProtocol.GlobalModel("job-1", 3, Map.of(new MatrixId(1, LoraTarget.V),
                        new ScaledAdapter(adapter(5, 2, 24, 24), 8.0f)), Map.of("classifier.bias", tensor(11, 3))),
                new GatewayProtocol.JobAccepted("job-1"),
                new GatewayProtocol.JobRejected("job.conf:3: key 'rounds' must be >= 1, got 0"),
                new GatewayProtocol.JobCancelled("job-1"),
                new GatewayProtocol.UnknownJob("job-9"),
                new GatewayProtocol.RequestFailed("the scheduler did not answer within 10 s"),
                new GatewayProtocol.JobList(List.of(new GatewayProtocol.JobSummary("job-1", "wordnet.conf",
                        GatewayProtocol.JobState.RUNNING, 2, 5))),
                jobStatus("job-1"),
                new SchedulerProtocol.SubmitJob(job("job-1"), "wordnet.conf", (ActorRef<GatewayProtocol.Reply>) ref),
                new SchedulerProtocol.GetJob("job-1", (ActorRef<GatewayProtocol.Reply>) ref),
                new SchedulerProtocol.ListJobs((ActorRef<GatewayProtocol.Reply>) ref),
                new SchedulerProtocol.CancelJob("job-1", (ActorRef<GatewayProtocol.Reply>) ref),
                new SchedulerProtocol.GetNodes((ActorRef<SchedulerProtocol.NodeList>) ref),
                new SchedulerProtocol.NodeList(List.of(new SchedulerProtocol.NodeView(profile("edge-a"), true, 1.5, "", true))));
    }

    /** A job status with a plan row, a closed round (NaN accuracy), an exclusion and a plan change. */
    public static GatewayProtocol.JobStatus jobStatus(String id) {
        GatewayProtocol.PlanRow row = new GatewayProtocol.PlanRow("edge-a", "nf4", 16, Map.of("q", 8, "v", 8), 20, 9.5,
                10.25, 900_000_000L, 2L << 30);
        GatewayProtocol.RoundMetrics round = new GatewayProtocol.RoundMetrics(1, 12.5, List.of(
                new GatewayProtocol.NodeMetrics("edge-a", 20, 9.0, 11.0, 9.5, 2000, 8000, 0.71)), List.of("edge-b: timed out"),
                Double.NaN);
        return new GatewayProtocol.JobStatus(id, "wordnet.conf", GatewayProtocol.JobState.RUNNING, 2, 5, "minilm-l6",
                "wordnet-topics", "fedpipe", "", List.of("edge-a", "edge-b"), List.of("0.q", "1.v"), 10.25, List.of(row),
                List.of(new GatewayProtocol.Excluded("edge-c", "nothing fits in 0.10 GB")), List.of(round),
                List.of(new GatewayProtocol.PlanChange(2, "left: edge-b", List.of("edge-a"))), 2);
    }
}
