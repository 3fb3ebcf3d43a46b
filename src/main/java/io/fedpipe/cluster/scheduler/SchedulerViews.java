package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.cluster.protocol.SchedulerProtocol;
import io.fedpipe.cluster.scheduler.SchedulerState.JobEntry;
import io.fedpipe.round.RoundLoop;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/**
 * The scheduler's state as the read-only answers users get (gateway, management routes): the
 * journal's own types turned into the client protocol's, here and only here.
 */
final class SchedulerViews {

    private SchedulerViews() {}

    static GatewayProtocol.JobState state(RoundLoop.Phase phase) {
        return GatewayProtocol.JobState.valueOf(phase.name());
    }

    static GatewayProtocol.Reply status(SchedulerState s, String jobId) {
        JobEntry j = s.job(jobId);
        if (j == null) {
            return new GatewayProtocol.UnknownJob(jobId);
        }
        List<GatewayProtocol.PlanRow> plan = j.plan().stream().map(r -> new GatewayProtocol.PlanRow(r.nodeId(), r.bits(),
                r.batch(), r.ranks(), r.steps(), r.plannedComputeSeconds(), r.plannedFinishSeconds(), r.memoryBytes(),
                r.memoryBudget())).toList();
        List<GatewayProtocol.Excluded> excluded = j.excluded().stream()
                .map(e -> new GatewayProtocol.Excluded(e.nodeId(), e.reason())).toList();
        List<GatewayProtocol.RoundMetrics> history = j.history().stream().map(r -> new GatewayProtocol.RoundMetrics(
                r.round(), r.roundSeconds(), r.nodes().stream().map(n -> new GatewayProtocol.NodeMetrics(n.nodeId(),
                        n.steps(), n.computeSeconds(), n.trainSeconds(), n.plannedSeconds(), n.bytesUp(), n.bytesDown(),
                        n.loss(), n.validationLoss(), n.validationExamples())).toList(), r.failures(), Double.NaN))
                .toList();
        List<GatewayProtocol.PlanChange> changes = j.planChanges().stream()
                .map(c -> new GatewayProtocol.PlanChange(c.beforeRound(), c.reason(), c.nodes())).toList();
        return new GatewayProtocol.JobStatus(jobId, j.name(), state(j.state()), j.round(), j.job().rounds(),
                j.job().model(), j.job().task(), j.job().strategy(), j.reason(), j.participants(), j.selected(),
                j.roundSeconds(), plan, excluded, history, changes, j.job().partitions(), evaluation(j.evaluation()));
    }

    static GatewayProtocol.JobList list(SchedulerState s) {
        return new GatewayProtocol.JobList(s.jobs().values().stream()
                .map(j -> new GatewayProtocol.JobSummary(j.job().jobId(), j.name(), state(j.state()), j.round(),
                        j.job().rounds()))
                .sorted(Comparator.comparing(GatewayProtocol.JobSummary::jobId)).toList());
    }

    static SchedulerProtocol.NodeList nodes(SchedulerState s, Predicate<String> hasTrainer) {
        List<SchedulerProtocol.NodeView> views = s.nodes().values().stream()
                .map(n -> new SchedulerProtocol.NodeView(n.profile(), n.up(), n.slowdown(), n.leftReason(),
                        hasTrainer.test(n.profile().nodeId())))
                .sorted(Comparator.comparing(v -> v.profile().nodeId())).toList();
        return new SchedulerProtocol.NodeList(views);
    }

    private static GatewayProtocol.GenerationEvaluation evaluation(SchedulerEvent.JobScored e) {
        if (e == null) {
            return null;
        }
        return new GatewayProtocol.GenerationEvaluation(e.nodeId(), e.prompts(), e.decoding(), e.base(), e.tuned(),
                e.examples().stream().map(x -> new GatewayProtocol.GenerationSample(x.prompt(), x.before(), x.after(),
                        x.reference())).toList(), e.seconds(), e.error());
    }
}
