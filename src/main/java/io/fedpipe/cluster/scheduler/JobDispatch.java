package io.fedpipe.cluster.scheduler;

import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.protocol.RoundProtocol;
import io.fedpipe.cluster.protocol.SchedulerProtocol;
import io.fedpipe.cluster.protocol.ServiceKeys;
import io.fedpipe.cluster.scheduler.SchedulerState.JobEntry;
import io.fedpipe.core.MatrixId;
import io.fedpipe.round.NodeRoundPlan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;

/**
 * The scheduler's messages to the data plane, sent after the events that decided them were
 * persisted: PrepareJob to trainers, OpenRound and FinishJob to every aggregator partition
 * {@code jobId/p} (through Cluster Sharding, or the {@link Partitions} a test hands in).
 */
final class JobDispatch {

    /** Where messages for aggregator partition {@code entityId} go. */
    @FunctionalInterface
    interface Partitions {
        void tell(String entityId, JobProtocol.AggregatorCommand message);

        /**
         * Through sharding. The data plane initialises the entity type on every node (a proxy where the
         * node lacks the aggregator role); without it there is no region to send to, which is logged
         * rather than crashing the scheduler.
         */
        static Partitions sharding(ActorSystem<?> system, Logger log) {
            return (entityId, message) -> {
                try {
                    ClusterSharding.get(system).entityRefFor(ServiceKeys.AGGREGATOR, entityId).tell(message);
                } catch (IllegalStateException e) {
                    log.error("cannot reach aggregator {}: {} (is the '{}' entity initialised on this node?)", entityId,
                            e.getMessage(), ServiceKeys.AGGREGATOR_TYPE_NAME);
                }
            };
        }
    }

    private final Logger log;
    private final TimerScheduler<SchedulerProtocol.Command> timers;
    private final Partitions partitions;
    private final ActorRef<JobProtocol.SchedulerEvent> replyTo;
    private final String device;

    JobDispatch(Logger log, TimerScheduler<SchedulerProtocol.Command> timers, Partitions partitions,
            ActorRef<JobProtocol.SchedulerEvent> replyTo, String device) {
        this.log = log;
        this.timers = timers;
        this.partitions = partitions;
        this.replyTo = replyTo;
        this.device = device;
    }

    /**
     * PrepareJob to {@code nodes}' trainers listed now (shard i of n; the importance probe while the
     * job prepares), except a trainer that was sent it already; returns the sessions with the sends.
     */
    TrainerSessions prepare(SchedulerState s, JobEntry j, List<String> nodes, Roster roster, TrainerSessions sessions) {
        JobSpec job = j.job();
        boolean probe = job.importanceMatrices() > 0 && j.state() == io.fedpipe.round.RoundLoop.Phase.PREPARING;
        List<MatrixId> candidates = probe ? JobPlanning.candidates(job) : List.of();
        // The probe's settings come from a plan over every candidate (a MILP): only when there is a probe.
        Map<String, JobPlanning.Probe> probes = Map.of();
        if (probe) {
            List<JobPlanning.NodeInput> inputs = j.participants().stream().filter(n -> s.nodes().containsKey(n))
                    .map(n -> new JobPlanning.NodeInput(s.nodes().get(n).profile(), s.nodes().get(n).slowdown(), 0))
                    .toList();
            probes = JobPlanning.probeSettings(job, inputs, device);
        }
        TrainerSessions out = sessions;
        for (String node : nodes) {
            ActorRef<JobProtocol.TrainerCommand> trainer = roster.trainerOf(node);
            if (trainer == null || out.sentTo(job.jobId(), node, trainer)) {
                continue;
            }
            out = out.withSent(job.jobId(), node, trainer);
            JobPlanning.Probe p = probes.getOrDefault(node, JobPlanning.smallest(job));
            trainer.tell(new JobProtocol.PrepareJob(job, j.participants().indexOf(node), j.participants().size(),
                    candidates, p.bits(), p.batch(), replyTo));
        }
        return out;
    }

    /** Messages that follow from persisted events: open rounds, release finished jobs. */
    void act(SchedulerState s, List<SchedulerEvent> events, LiveView live) {
        for (SchedulerEvent e : events) {
            if (e instanceof SchedulerEvent.RoundOpened o) {
                timers.cancel(new Scheduler.PrepareTimedOut(o.jobId()));
                openRound(s, o.jobId(), live);
            } else if (e instanceof SchedulerEvent.PlanChanged p) {
                log.info("job {}: re-planned before round {} ({})", p.jobId(), p.beforeRound(), p.reason());
            } else if (e instanceof SchedulerEvent.JobFinished f) {
                finish(s.job(f.jobId()), "finished", live.roster(), JobPlanning.isDecoder(s.job(f.jobId()).job()));
            } else if (e instanceof SchedulerEvent.JobCancelled f) {
                finish(s.job(f.jobId()), "cancelled: " + f.reason(), live.roster());
            } else if (e instanceof SchedulerEvent.JobFailed f) {
                log.warn("job {} failed: {}", f.jobId(), f.reason());
                finish(s.job(f.jobId()), "failed: " + f.reason(), live.roster());
            }
        }
    }

    /**
     * Opens the job's round on the data plane and arms its overdue check; with no planned trainer
     * listed the job waits for nodes (it resumes when they register).
     */
    void openRound(SchedulerState s, String jobId, LiveView live) {
        JobEntry j = s.job(jobId);
        if (!openRound(j, live.roster())) {
            live.resumeLater(java.util.Set.of(jobId));
            return;
        }
        timers.startSingleTimer("overdue-" + jobId, new Scheduler.RoundOverdue(jobId, j.round()), overdueAfter(j.job()));
    }

    /**
     * OpenRound to every partition that has not closed the job's round, with the plans of the
     * planned nodes whose trainer is listed; false when there is none (the job waits for nodes).
     */
    @SuppressWarnings("unchecked")
    private boolean openRound(JobEntry j, Roster roster) {
        List<NodeRoundPlan> plans = new ArrayList<>();
        Map<String, ActorRef<RoundProtocol.RoundAssignment>> trainers = new LinkedHashMap<>();
        for (NodeRoundPlan p : JobPlanning.roundPlans(j.plan(), j.selected())) {
            ActorRef<JobProtocol.TrainerCommand> t = roster.trainerOf(p.nodeId());
            if (t != null) {
                plans.add(p);
                // The actor behind a TRAINER listing also accepts RoundAssignment (ServiceKeys).
                trainers.put(p.nodeId(), (ActorRef<RoundProtocol.RoundAssignment>) (ActorRef<?>) t);
            }
        }
        if (plans.isEmpty()) {
            log.warn("job {} round {}: no planned trainer is reachable; waiting for nodes", j.job().jobId(), j.round());
            return false;
        }
        for (int p = 0; p < j.job().partitions(); p++) {
            if (!j.closed().containsKey(p)) {
                partitions.tell(ServiceKeys.aggregatorEntityId(j.job().jobId(), p), new JobProtocol.OpenRound(j.job(), p,
                        j.round(), plans, trainers, replyTo));
            }
        }
        return true;
    }

    void finish(JobEntry j, String reason, Roster roster) {
        finish(j, reason, roster, false);
    }

    /**
     * FinishJob to every partition (once a round was opened) and every participant's trainer; with
     * {@code evaluate}, the first participant whose trainer is listed gets an EvaluateJob instead
     * (it scores the merged model on its copy of the test set, then releases the job itself).
     */
    void finish(JobEntry j, String reason, Roster roster, boolean evaluate) {
        String jobId = j.job().jobId();
        timers.cancel(new Scheduler.PrepareTimedOut(jobId));
        JobProtocol.FinishJob msg = new JobProtocol.FinishJob(jobId, reason);
        if (j.round() > 0) {
            for (int p = 0; p < j.job().partitions(); p++) {
                partitions.tell(ServiceKeys.aggregatorEntityId(jobId, p), msg);
            }
        }
        boolean evaluating = evaluate && j.round() > 0;
        for (String node : j.participants()) {
            ActorRef<JobProtocol.TrainerCommand> t = roster.trainerOf(node);
            if (t != null && evaluating) {
                log.info("job {}: node {} decodes the test prompts with the finished model", jobId, node);
                t.tell(new JobProtocol.EvaluateJob(j.job(), replyTo));
                evaluating = false;
            } else if (t != null) {
                t.tell(msg);
            }
        }
    }

    /** The round's deadline plus half of it (at least 5 s): a partition that is alive answers by then. */
    static Duration overdueAfter(JobSpec job) {
        return Duration.ofMillis(job.roundTimeoutMs() + Math.max(5_000, job.roundTimeoutMs() / 2));
    }
}
