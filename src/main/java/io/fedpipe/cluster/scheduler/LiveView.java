package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.protocol.JobProtocol.TrainerCommand;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What the scheduler knows that its journal cannot: references die with their incarnation, so
 * they are rebuilt after every fail-over instead of recovered. Three values, each replaced whole:
 * the {@link Roster} (Membership's latest snapshot), the {@link TrainerSessions} (which trainer
 * incarnation got and answered PrepareJob), and the jobs to resume (in-flight work that
 * RecoveryCompleted re-derives from the journal). Owned by the scheduler actor; not thread-safe.
 */
final class LiveView {

    private Roster roster = Roster.EMPTY;
    private TrainerSessions sessions = TrainerSessions.EMPTY;
    private Set<String> toResume = Set.of();

    Roster roster() {
        return roster;
    }

    void adopt(Roster latest) {
        roster = latest;
    }

    TrainerSessions sessions() {
        return sessions;
    }

    void sessions(TrainerSessions next) {
        sessions = next;
    }

    ActorRef<TrainerCommand> trainerOf(String nodeId) {
        return roster.trainerOf(nodeId);
    }

    Set<String> eligible() {
        return roster.eligible();
    }

    /** The job is loaded on the node's trainer now listed: that trainer itself answered PrepareJob. */
    boolean confirmed(String jobId, String nodeId) {
        return sessions.confirmed(jobId, nodeId, roster.trainerOf(nodeId));
    }

    void answered(String jobId, String nodeId) {
        ActorRef<TrainerCommand> t = roster.trainerOf(nodeId);
        if (t != null) {
            sessions = sessions.withAnswer(jobId, nodeId, t);
        }
    }

    void forget(String nodeId) {
        sessions = sessions.forget(nodeId);
    }

    boolean resuming(String jobId) {
        return toResume.contains(jobId);
    }

    List<String> toResume() {
        return List.copyOf(new TreeSet<>(toResume));
    }

    void resumeLater(Set<String> jobIds) {
        Set<String> next = new TreeSet<>(toResume);
        next.addAll(jobIds);
        toResume = Set.copyOf(next);
    }

    void resumed(String jobId) {
        Set<String> next = new TreeSet<>(toResume);
        next.remove(jobId);
        toResume = Set.copyOf(next);
    }

    void resumedAll() {
        toResume = Set.of();
    }
}
