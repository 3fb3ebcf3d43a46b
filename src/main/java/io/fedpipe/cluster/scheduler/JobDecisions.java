package io.fedpipe.cluster.scheduler;

import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.scheduler.SchedulerEvent.LeftOut;
import io.fedpipe.cluster.scheduler.SchedulerEvent.PlannedNode;
import io.fedpipe.cluster.scheduler.SchedulerState.JobEntry;
import io.fedpipe.cluster.scheduler.SchedulerState.Prepared;
import io.fedpipe.round.RoundLoop;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The scheduler's side of the {@link RoundLoop}: a job's loop with the cluster's planner
 * ({@link JobPlanning}: importance selection before round 1, then the MILP plan over the nodes that
 * prepared), which nodes are available to it, and the loop's facts as journal events. Pure: no
 * actor, no clock but the {@code now} it is given.
 */
final class JobDecisions {

    private JobDecisions() {}

    /** A cluster plan: the matrices it adapts and the planner's rows. */
    record ClusterPlan(List<String> selected, JobPlanning.Result result) {}

    /** Importance refresh runs in the simulator only; a cluster job asking for it is refused at submission. */
    static String refusal(JobSpec job) {
        if (job.refreshEvery() > 0) {
            return "refresh-every = " + job.refreshEvery() + ": re-probing importance between rounds runs only in the"
                    + " simulator for now; a cluster job probes once, before round 1 (set refresh-every = 0)";
        }
        return null;
    }

    /** The loop of job {@code j}, planning over the state's node profiles with {@code device}. */
    static RoundLoop<ClusterPlan> loop(SchedulerState state, JobEntry j, String device) {
        JobSpec job = j.job();
        return new RoundLoop<>(RoundLoop.Policy.of(job.rounds(), 0), (beforeRound, nodes, slowdowns) -> {
            Map<String, Prepared> prepared = new TreeMap<>(j.prepared());
            prepared.keySet().retainAll(nodes);
            try {
                List<String> selected = beforeRound == 1 ? JobPlanning.select(job, prepared) : j.selected();
                List<JobPlanning.NodeInput> inputs = new ArrayList<>();
                prepared.forEach((n, p) -> inputs.add(new JobPlanning.NodeInput(state.nodes().get(n).profile(),
                        state.nodes().get(n).slowdown() * slowdowns.getOrDefault(n, 1.0), p.trainExamples())));
                JobPlanning.Result r = JobPlanning.plan(job, selected, inputs, device);
                return new RoundLoop.Planned<>(new ClusterPlan(selected, r),
                        r.rows().stream().map(PlannedNode::nodeId).toList(),
                        r.excluded().stream().map(LeftOut::nodeId).toList());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        });
    }

    /**
     * The nodes that can train the job's next round: prepared it and have a listed trainer; a node
     * outside the plan in force also needs its trainer now listed to have answered PrepareJob
     * ({@code confirmed}): planned in earlier, it would decline every slice until it loaded the job again.
     */
    static Set<String> available(JobEntry j, Set<String> eligible, Predicate<String> confirmed) {
        Set<String> live = new TreeSet<>(j.prepared().keySet());
        live.retainAll(eligible);
        live.removeIf(n -> !j.loop().considered().contains(n) && !confirmed.test(n));
        return live;
    }

    /** A PREPARING job starts when every participant still here answered PrepareJob, or at the timeout. */
    static boolean readyToStart(JobEntry j, Set<String> eligible, boolean timedOut) {
        return timedOut || j.participants().stream()
                .allMatch(n -> j.prepared().containsKey(n) || j.refused().containsKey(n) || !eligible.contains(n));
    }

    /** The loop's facts for job {@code jobId} as the journal's events, in order. */
    static List<SchedulerEvent> events(String jobId, List<RoundLoop.Fact> facts, Instant now) {
        List<SchedulerEvent> out = new ArrayList<>();
        for (RoundLoop.Fact f : facts) {
            out.add(event(jobId, f, now));
        }
        return out;
    }

    // One mapping from the loop's facts to the journal's types; the reverse is SchedulerEvent.applyTo.
    private static SchedulerEvent event(String jobId, RoundLoop.Fact f, Instant now) {
        if (f instanceof RoundLoop.PlanAdopted<?> p) {
            ClusterPlan plan = (ClusterPlan) p.plan();
            JobPlanning.Result r = plan.result();
            return p.beforeRound() == 1
                    ? new SchedulerEvent.PlanChosen(jobId, plan.selected(), r.roundSeconds(), r.rows(), r.excluded(), now)
                    : new SchedulerEvent.PlanChanged(jobId, p.beforeRound(), p.reason(), r.roundSeconds(), r.rows(),
                            r.excluded(), now);
        } else if (f instanceof RoundLoop.NodeSlowed s) {
            return new SchedulerEvent.NodeSlowed(s.nodeId(), jobId, s.round(), s.factor(), now);
        } else if (f instanceof RoundLoop.RoundOpened o) {
            return new SchedulerEvent.RoundOpened(jobId, o.round(), now);
        } else if (f instanceof RoundLoop.Finished) {
            return new SchedulerEvent.JobFinished(jobId, now);
        } else if (f instanceof RoundLoop.Cancelled c) {
            return new SchedulerEvent.JobCancelled(jobId, c.reason(), now);
        } else if (f instanceof RoundLoop.Failed x) {
            return new SchedulerEvent.JobFailed(jobId, x.reason(), now);
        }
        // RoundClosed is derived from PartitionClosed; ProbeRequested needs refresh-every > 0 (refused).
        throw new IllegalStateException("the scheduler does not journal " + f);
    }
}
