package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.protocol.NodeRole;
import io.fedpipe.cluster.protocol.GatewayProtocol;
import io.fedpipe.cluster.protocol.SchedulerProtocol;
import io.fedpipe.cluster.protocol.SchedulerProtocol.CancelJob;
import io.fedpipe.cluster.protocol.SchedulerProtocol.SubmitJob;
import io.fedpipe.cluster.scheduler.SchedulerState.JobEntry;
import io.fedpipe.round.RoundLoop;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.slf4j.Logger;

/**
 * A job from submission to its end, as the scheduler's commands see it: submit, prepare, start,
 * advance after each round (the {@link RoundLoop} decides, through {@link JobDecisions}), cancel,
 * and resume after a fail-over. Every handler returns an {@link Outcome}: events to persist, then
 * the messages that follow from them ({@link JobDispatch}).
 */
final class JobLifecycle {

    private final ActorRef<SchedulerProtocol.Command> self;
    private final TimerScheduler<SchedulerProtocol.Command> timers;
    private final SchedulerSettings settings;
    private final LiveView live;
    private final JobDispatch dispatch;
    private final Logger log;

    JobLifecycle(ActorRef<SchedulerProtocol.Command> self, TimerScheduler<SchedulerProtocol.Command> timers,
            SchedulerSettings settings, LiveView live, JobDispatch dispatch, Logger log) {
        this.self = self;
        this.timers = timers;
        this.settings = settings;
        this.live = live;
        this.dispatch = dispatch;
        this.log = log;
    }

    Outcome submit(SchedulerState state, SubmitJob c) {
        String id = c.job().jobId();
        List<String> participants = live.eligible().stream().filter(n -> state.nodes().containsKey(n)
                && state.nodes().get(n).profile().has(NodeRole.EDGE)).sorted().toList();
        String refusal = state.jobs().containsKey(id) ? "job id " + id + " is taken"
                : participants.isEmpty() ? "no edge node with a trainer has registered with the scheduler; start one"
                        + " and submit again"
                : JobDecisions.refusal(c.job());
        if (refusal == null) {
            try {
                JobPlanning.candidates(c.job());
            } catch (RuntimeException e) {
                refusal = e.getMessage();
            }
        }
        if (refusal != null) {
            GatewayProtocol.JobRejected rejected = new GatewayProtocol.JobRejected(refusal);
            return new Outcome(List.of(), s -> c.replyTo().tell(rejected));
        }
        return new Outcome(List.of(new SchedulerEvent.JobSubmitted(c.job(), c.name(), participants, Instant.now())),
                s -> {
                    log.info("job {} ({}) submitted to {}", id, c.name(), participants);
                    c.replyTo().tell(new GatewayProtocol.JobAccepted(id));
                    prepare(s, s.job(id), participants);
                    timers.startSingleTimer(new Scheduler.PrepareTimedOut(id), settings.prepareTimeout());
                });
    }

    /** A PREPARING job starts when every participant still here answered PrepareJob, or at the timeout. */
    Outcome start(SchedulerState state, String jobId, boolean timedOut) {
        JobEntry j = state.job(jobId);
        Set<String> here = live.eligible();
        if (j == null || j.state() != RoundLoop.Phase.PREPARING || !JobDecisions.readyToStart(j, here, timedOut)) {
            return Outcome.none();
        }
        Set<String> prepared = new TreeSet<>(j.prepared().keySet());
        prepared.retainAll(here);
        if (prepared.isEmpty()) {
            return acting(List.of(new SchedulerEvent.JobFailed(jobId, "no node prepared the job"
                    + (j.refused().isEmpty() ? "" : "; refused: " + j.refused()), Instant.now())));
        }
        return decide(state, j, new RoundLoop.Start(prepared));
    }

    /** Every partition closed the open round: the loop decides what comes next. */
    Outcome advance(SchedulerState state, String jobId) {
        JobEntry j = state.job(jobId);
        if (j == null || !j.roundComplete()) {
            return Outcome.none();
        }
        return decide(state, j, new RoundLoop.RoundDone(JobDecisions.available(j, live.eligible(),
                n -> live.confirmed(jobId, n))));
    }

    Outcome cancel(SchedulerState state, CancelJob c) {
        JobEntry j = state.job(c.jobId());
        if (j == null || j.state().over()) {
            GatewayProtocol.Reply no = j == null ? new GatewayProtocol.UnknownJob(c.jobId())
                    : new GatewayProtocol.JobRejected("job " + c.jobId() + " is already "
                            + j.state().name().toLowerCase(Locale.ROOT));
            return new Outcome(List.of(), s -> c.replyTo().tell(no));
        }
        Outcome cancelled = decide(state, j, new RoundLoop.Cancel("cancelled by a user"));
        return new Outcome(cancelled.events(), s -> {
            cancelled.then().accept(s);
            c.replyTo().tell(new GatewayProtocol.JobCancelled(c.jobId()));
        });
    }

    /**
     * A node can train now: send PrepareJob for every unfinished job it takes part in, unless its trainer
     * now listed confirmed the job. For a running job that covers a node that returned (it prepares its
     * own shard again: the data is private and stays with the node) and, after a fail-over, a node the
     * journal says prepared (its trainer answers at once if it still has the job, or loads it again).
     */
    void nodeAvailable(SchedulerState s, String nodeId) {
        for (JobEntry j : s.jobs().values()) {
            String id = j.job().jobId();
            boolean resumingPreparation = j.state() == RoundLoop.Phase.PREPARING && live.resuming(id);
            if (!j.state().over() && j.participants().contains(nodeId) && !j.refused().containsKey(nodeId)
                    && !live.confirmed(id, nodeId) && !resumingPreparation) {
                prepare(s, j, List.of(nodeId));
            }
        }
    }

    /** Recovered jobs whose nodes all have a listed trainer again resume now. */
    void resumeWhenReady(SchedulerState s) {
        for (String id : live.toResume()) {
            JobEntry j = s.job(id);
            List<String> needed = j == null ? List.of()
                    : j.state() == RoundLoop.Phase.RUNNING ? j.plannedNodes() : j.participants();
            if (needed.stream().allMatch(n -> live.trainerOf(n) != null)) {
                live.resumed(id);
                self.tell(new Scheduler.ResumeJob(id));
            }
        }
    }

    /** Picks a recovered job up where the journal left it. */
    Outcome resume(SchedulerState state, String jobId) {
        JobEntry j = state.job(jobId);
        if (j == null || j.state().over()) {
            return Outcome.none();
        }
        if (j.state() == RoundLoop.Phase.PREPARING) {
            log.info("resuming job {}: preparing", jobId);
            List<String> missing = j.participants().stream()
                    .filter(n -> !j.prepared().containsKey(n) && !j.refused().containsKey(n)).toList();
            prepare(state, j, missing);
            timers.startSingleTimer(new Scheduler.PrepareTimedOut(jobId), settings.prepareTimeout());
            return start(state, jobId, false);
        }
        if (j.roundComplete()) {
            return advance(state, jobId);
        }
        log.info("resuming job {}: re-issuing round {}", jobId, j.round());
        // Nodes here that the journal says prepared: PrepareJob checks that their trainer still has the job.
        j.participants().forEach(n -> nodeAvailable(state, n));
        return new Outcome(List.of(new SchedulerEvent.RoundResumed(jobId, j.round(), Instant.now())),
                s -> dispatch.openRound(s, jobId, live));
    }

    /**
     * A partition's open round is not persisted: when its entity moves (a rebalance after a node
     * joins, a hand-off) the round is gone with it and no RoundClosed ever comes. The partitions that
     * did not close are sent the round again; the aggregator treats a round it knows idempotently and
     * opens it anew from its checkpoint otherwise. Without this a rebalance towards a node that came
     * back stalled the job for good.
     */
    void overdue(SchedulerState state, String jobId, int round) {
        JobEntry j = state.job(jobId);
        if (j == null || j.state() != RoundLoop.Phase.RUNNING || j.round() != round || !j.loop().open()
                || live.resuming(jobId)) {
            return;
        }
        log.warn("job {}: round {} not closed by every partition within {} s (closed: {}); re-issuing it", jobId, round,
                JobDispatch.overdueAfter(j.job()).toSeconds(), j.closed().keySet());
        dispatch.openRound(state, jobId, live);
    }

    /** The loop's decision on {@code signal}, as events to journal and then carry out. */
    private Outcome decide(SchedulerState state, JobEntry j, RoundLoop.Signal signal) {
        RoundLoop.Step step = JobDecisions.loop(state, j, settings.device()).decide(j.loop(), signal);
        step.warnings().forEach(w -> log.warn("job {}: {}", j.job().jobId(), w));
        return acting(JobDecisions.events(j.job().jobId(), step.facts(), Instant.now()));
    }

    private Outcome acting(List<SchedulerEvent> events) {
        return new Outcome(events, s -> dispatch.act(s, events, live));
    }

    private void prepare(SchedulerState s, JobEntry j, List<String> toNodes) {
        live.sessions(dispatch.prepare(s, j, toNodes, live.roster(), live.sessions()));
    }
}
