package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.protocol.JobProtocol.TrainerCommand;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Per job and node, the trainer incarnation PrepareJob went to and the one that answered it.
 * Immutable; not journaled: after a fail-over the journal says which nodes prepared, not whether
 * the trainer now listed is the one that did, so a node counts as prepared by this scheduler only
 * once the trainer now listed answered ({@link #confirmed}).
 */
record TrainerSessions(Map<String, ActorRef<TrainerCommand>> sent, Map<String, ActorRef<TrainerCommand>> answered) {

    static final TrainerSessions EMPTY = new TrainerSessions(Map.of(), Map.of());

    TrainerSessions {
        sent = Map.copyOf(sent);
        answered = Map.copyOf(answered);
    }

    private static String key(String jobId, String nodeId) {
        return jobId + "/" + nodeId;
    }

    /** PrepareJob already went to this very trainer. */
    boolean sentTo(String jobId, String nodeId, ActorRef<TrainerCommand> trainer) {
        return trainer.equals(sent.get(key(jobId, nodeId)));
    }

    TrainerSessions withSent(String jobId, String nodeId, ActorRef<TrainerCommand> trainer) {
        Map<String, ActorRef<TrainerCommand>> next = new HashMap<>(sent);
        next.put(key(jobId, nodeId), trainer);
        return new TrainerSessions(next, answered);
    }

    TrainerSessions withAnswer(String jobId, String nodeId, ActorRef<TrainerCommand> trainer) {
        Map<String, ActorRef<TrainerCommand>> next = new HashMap<>(answered);
        next.put(key(jobId, nodeId), trainer);
        return new TrainerSessions(sent, next);
    }

    /** The job is loaded on {@code trainer} (the node's trainer listed now): that trainer itself answered. */
    boolean confirmed(String jobId, String nodeId, ActorRef<TrainerCommand> trainer) {
        return trainer != null && trainer.equals(answered.get(key(jobId, nodeId)));
    }

    /** The node left or restarted: whatever its trainer loaded is gone. */
    TrainerSessions forget(String nodeId) {
        Map<String, ActorRef<TrainerCommand>> s = new HashMap<>(sent);
        Map<String, ActorRef<TrainerCommand>> a = new HashMap<>(answered);
        s.keySet().removeIf(k -> k.endsWith("/" + nodeId));
        a.keySet().removeIf(k -> k.endsWith("/" + nodeId));
        return new TrainerSessions(s, a);
    }
}
