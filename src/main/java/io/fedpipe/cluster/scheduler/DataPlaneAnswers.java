package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.scheduler.SchedulerState.JobEntry;
import io.fedpipe.round.RoundLoop;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * The data plane's answers as journaled facts: a trainer prepared or refused a job, an aggregator
 * partition closed a round. What follows is the scheduler's to decide on the persisted state
 * ({@code checkPreparing}: maybe start the job; {@code advance}: the round is complete).
 */
final class DataPlaneAnswers {

    private final LiveView live;
    private final Logger log;
    private final Consumer<String> checkPreparing;
    private final Consumer<String> advance;

    DataPlaneAnswers(LiveView live, Logger log, Consumer<String> checkPreparing, Consumer<String> advance) {
        this.live = live;
        this.log = log;
        this.checkPreparing = checkPreparing;
        this.advance = advance;
    }

    Outcome handle(SchedulerState state, JobProtocol.SchedulerEvent event) {
        if (event instanceof JobProtocol.JobPrepared p) {
            return prepared(state, p);
        } else if (event instanceof JobProtocol.JobRefused r) {
            return refused(state, r);
        } else if (event instanceof JobProtocol.RoundClosed r) {
            return closed(state, r);
        } else if (event instanceof JobProtocol.JobEvaluated e) {
            return evaluated(state, e);
        }
        return Outcome.none();
    }

    private Outcome prepared(SchedulerState state, JobProtocol.JobPrepared p) {
        JobEntry j = state.job(p.jobId());
        if (!accepts(j, p.nodeId())) {
            return Outcome.none();
        }
        live.answered(p.jobId(), p.nodeId());
        if (j.state() == RoundLoop.Phase.RUNNING && j.prepared().containsKey(p.nodeId())) {
            // The journal already has it (a check after a fail-over): nothing new to record.
            log.info("job {}: node {} has the job loaded (its trainer now listed answered)", p.jobId(), p.nodeId());
            return Outcome.none();
        }
        if (j.state() == RoundLoop.Phase.RUNNING) {
            log.info("job {}: node {} prepared again (shard {} of {}); planned in from the next round", p.jobId(),
                    p.nodeId(), j.participants().indexOf(p.nodeId()), j.participants().size());
        }
        return new Outcome(List.of(new SchedulerEvent.NodePrepared(p.jobId(), p.nodeId(), p.trainExamples(),
                JobPlanning.keyed(p.importance()), p.probeSeconds(), Instant.now())), s -> checkPreparing.accept(p.jobId()));
    }

    private Outcome refused(SchedulerState state, JobProtocol.JobRefused r) {
        if (!accepts(state.job(r.jobId()), r.nodeId())) {
            return Outcome.none();
        }
        log.warn("node {} refused job {}: {}", r.nodeId(), r.jobId(), r.reason());
        return new Outcome(List.of(new SchedulerEvent.NodeRefused(r.jobId(), r.nodeId(), r.reason(), Instant.now())),
                s -> checkPreparing.accept(r.jobId()));
    }

    private Outcome closed(SchedulerState state, JobProtocol.RoundClosed r) {
        JobEntry j = state.job(r.jobId());
        if (j == null || j.state() != RoundLoop.Phase.RUNNING || !j.loop().open()
                || r.round() != j.round() || j.closed().containsKey(r.partition())) {
            return Outcome.none();
        }
        List<String> failures = new ArrayList<>();
        r.failures().forEach(f -> failures.add(f.nodeId() + ": " + f.reason()));
        r.rejected().forEach(x -> failures.add(x.nodeId() + ": rejected " + x.item() + ": " + x.reason()));
        return new Outcome(List.of(new SchedulerEvent.PartitionClosed(r.jobId(), j.round(), r.partition(), r.nodes(),
                failures, Instant.ofEpochMilli(r.closedAtMillis()))), s -> {
                    if (s.job(r.jobId()).roundComplete()) {
                        advance.accept(r.jobId());
                    }
                });
    }

    /** The finished job's scores, journaled once (a repeated answer after a fail-over is dropped). */
    private Outcome evaluated(SchedulerState state, JobProtocol.JobEvaluated e) {
        JobEntry j = state.job(e.jobId());
        if (j == null || j.evaluation() != null) {
            return Outcome.none();
        }
        var g = e.evaluation();
        if (g.error() != null) {
            log.warn("job {}: node {} could not score the finished model: {}", e.jobId(), g.nodeId(), g.error());
        } else {
            log.info("job {}: node {} scored the finished model on {} test prompts: BLEU {} (base {})", e.jobId(),
                    g.nodeId(), g.prompts(), g.tuned().get("bleu"), g.base().get("bleu"));
        }
        return new Outcome(List.of(new SchedulerEvent.JobScored(e.jobId(), g.nodeId(), g.prompts(), g.decoding(),
                g.base(), g.tuned(), g.examples().stream().map(x -> new SchedulerEvent.Sample(x.prompt(), x.before(),
                        x.after(), x.reference())).toList(), g.seconds(), g.error(), Instant.now())), s -> { });
    }

    private static boolean accepts(JobEntry j, String nodeId) {
        return j != null && !j.state().over() && j.participants().contains(nodeId);
    }
}
