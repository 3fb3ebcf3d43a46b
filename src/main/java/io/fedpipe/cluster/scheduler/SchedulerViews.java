package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.gateway.GatewayProtocol;
import io.fedpipe.cluster.scheduler.SchedulerState.JobEntry;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;

/** The scheduler's state as the read-only answers users get (gateway, management routes). */
final class SchedulerViews {

    private SchedulerViews() {}

    static GatewayProtocol.Reply status(SchedulerState s, String jobId) {
        JobEntry j = s.job(jobId);
        if (j == null) {
            return new GatewayProtocol.UnknownJob(jobId);
        }
        return new GatewayProtocol.JobStatus(jobId, j.name(), j.state(), j.round(), j.job().rounds(), j.job().model(),
                j.job().task(), j.job().strategy(), j.reason(), j.participants(), j.selected(), j.roundSeconds(),
                j.plan(), j.excluded(), j.history(), j.planChanges(), j.job().partitions());
    }

    static GatewayProtocol.JobList list(SchedulerState s) {
        return new GatewayProtocol.JobList(s.jobs().values().stream()
                .map(j -> new GatewayProtocol.JobSummary(j.job().jobId(), j.name(), j.state(), j.round(), j.job().rounds()))
                .sorted(Comparator.comparing(GatewayProtocol.JobSummary::jobId)).toList());
    }

    static Scheduler.NodeList nodes(SchedulerState s, Predicate<String> hasTrainer) {
        List<Scheduler.NodeView> views = s.nodes().values().stream()
                .map(n -> new Scheduler.NodeView(n.profile(), n.up(), n.slowdown(), n.leftReason(),
                        hasTrainer.test(n.profile().nodeId())))
                .sorted(Comparator.comparing(v -> v.profile().nodeId())).toList();
        return new Scheduler.NodeList(views);
    }
}
