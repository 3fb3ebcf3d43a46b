package io.fedpipe.cluster.node;

import io.fedpipe.cluster.protocol.SchedulerProtocol;

import io.fedpipe.aggregation.Failure;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.aggregation.Rejection;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.cluster.aggregator.Aggregator;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.protocol.NodeProtocol;
import io.fedpipe.cluster.protocol.NodeRole;
import io.fedpipe.cluster.protocol.RoundProtocol;
import io.fedpipe.cluster.wire.WireRegistry;
import io.fedpipe.cluster.wire.WireRegistry.Entry;
import io.fedpipe.core.HostTensor;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.NodeRoundPlan;
import java.util.ArrayList;
import java.util.List;

/**
 * Every FedPipe class that crosses nodes, with its fixed Kryo id: the one place to add one.
 *
 * <p>It lives here, in the package that wires the roles together, because it names the messages
 * of every role; the serializer ({@code io.fedpipe.cluster.wire}) finds it through
 * {@code fedpipe.wire.registry} and so depends on no role. Ids are never reused: a removed class
 * leaves a gap, and a changed id makes nodes of different builds unable to talk (the start-up
 * log's wire fingerprint shows it).
 */
public final class WireClasses implements WireRegistry.Catalog {

    private static final List<Entry> ENTRIES = build();

    /** Created by name from {@code fedpipe.wire.registry}. */
    public WireClasses() {}

    @Override
    public List<Entry> entries() {
        return ENTRIES;
    }

    private static List<Entry> build() {
        List<Entry> e = new ArrayList<>();
        // Model and round data (50..99)
        e.add(new Entry(50, LoraTarget.class, null));
        e.add(new Entry(51, MatrixId.class, null));
        e.add(new Entry(52, HostTensor.class, null));
        e.add(new Entry(53, PeftAdapters.Adapter.class, null));
        e.add(new Entry(54, ScaledAdapter.class, null));
        e.add(new Entry(55, NodeRoundPlan.class, null));
        e.add(new Entry(56, NodeAssignment.class, null));
        e.add(new Entry(57, NodeUpdate.class, null));
        e.add(new Entry(58, Failure.class, null));
        e.add(new Entry(59, Rejection.class, null));
        e.add(new Entry(60, NodeRole.class, null));
        e.add(new Entry(61, NodeProfile.class, null));
        e.add(new Entry(62, NodeProfile.Measured.class, null));
        // The job, only ever inside other messages (id 120, the flat JobDefinition before it, stays unused).
        e.add(new Entry(63, JobSpec.class, null));
        e.add(new Entry(64, JobSpec.Data.class, null));
        e.add(new Entry(65, JobSpec.PlannerChoices.class, null));
        e.add(new Entry(66, JobSpec.ImportanceStage.class, null));
        e.add(new Entry(67, JobSpec.Generation.class, null));
        e.add(new Entry(68, io.fedpipe.round.LocalEvaluation.class, null));
        // Protocols (100..)
        e.add(new Entry(100, NodeProtocol.Register.class, null));
        e.add(new Entry(101, NodeProtocol.Registered.class, null));
        e.add(new Entry(110, RoundProtocol.RoundAssignment.class, null));
        e.add(new Entry(111, RoundProtocol.DeltaUpload.class, null));
        e.add(new Entry(112, RoundProtocol.RoundDeclined.class, null));
        e.add(new Entry(113, RoundProtocol.DeltaAck.class, null));
        e.add(new Entry(114, RoundProtocol.Outcome.class, null));
        e.add(new Entry(121, JobProtocol.PrepareJob.class, null));
        e.add(new Entry(122, JobProtocol.JobPrepared.class, null));
        e.add(new Entry(123, JobProtocol.JobRefused.class, null));
        e.add(new Entry(124, JobProtocol.OpenRound.class, null));
        e.add(new Entry(125, JobProtocol.NodeRoundStats.class, null));
        e.add(new Entry(126, JobProtocol.RoundClosed.class, null));
        e.add(new Entry(127, JobProtocol.GetGlobal.class, null));
        e.add(new Entry(128, JobProtocol.GlobalSlice.class, null));
        e.add(new Entry(129, JobProtocol.FinishJob.class, null));
        e.add(new Entry(130, JobProtocol.EvaluateJob.class, null));
        e.add(new Entry(131, JobProtocol.JobEvaluated.class, null));
        e.add(new Entry(140, Aggregator.Passivate.class, null));
        // Gateway and scheduler queries (160..)
        e.add(new Entry(160, GatewayProtocol.SubmitJob.class, null));
        e.add(new Entry(161, GatewayProtocol.GetJobStatus.class, null));
        e.add(new Entry(162, GatewayProtocol.ListJobs.class, null));
        e.add(new Entry(163, GatewayProtocol.CancelJob.class, null));
        e.add(new Entry(164, GatewayProtocol.JobAccepted.class, null));
        e.add(new Entry(165, GatewayProtocol.JobRejected.class, null));
        e.add(new Entry(166, GatewayProtocol.JobCancelled.class, null));
        e.add(new Entry(167, GatewayProtocol.UnknownJob.class, null));
        e.add(new Entry(168, GatewayProtocol.RequestFailed.class, null));
        e.add(new Entry(169, GatewayProtocol.JobState.class, null));
        e.add(new Entry(170, GatewayProtocol.JobSummary.class, null));
        e.add(new Entry(171, GatewayProtocol.JobList.class, null));
        e.add(new Entry(172, GatewayProtocol.PlanRow.class, null));
        e.add(new Entry(173, GatewayProtocol.Excluded.class, null));
        e.add(new Entry(174, GatewayProtocol.NodeMetrics.class, null));
        e.add(new Entry(175, GatewayProtocol.RoundMetrics.class, null));
        e.add(new Entry(176, GatewayProtocol.PlanChange.class, null));
        e.add(new Entry(177, GatewayProtocol.JobStatus.class, null));
        e.add(new Entry(178, GatewayProtocol.GetGlobalModel.class, null));
        e.add(new Entry(179, GatewayProtocol.GlobalModel.class, null));
        e.add(new Entry(180, SchedulerProtocol.SubmitJob.class, null));
        e.add(new Entry(181, SchedulerProtocol.GetJob.class, null));
        e.add(new Entry(182, SchedulerProtocol.ListJobs.class, null));
        e.add(new Entry(183, SchedulerProtocol.CancelJob.class, null));
        e.add(new Entry(184, SchedulerProtocol.GetNodes.class, null));
        e.add(new Entry(185, SchedulerProtocol.NodeList.class, null));
        e.add(new Entry(186, SchedulerProtocol.NodeView.class, null));
        e.add(new Entry(187, GatewayProtocol.GenerationEvaluation.class, null));
        e.add(new Entry(188, GatewayProtocol.GenerationSample.class, null));
        return List.copyOf(e);
    }
}
