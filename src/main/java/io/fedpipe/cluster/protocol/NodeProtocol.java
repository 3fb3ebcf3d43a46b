package io.fedpipe.cluster.protocol;

import io.fedpipe.cluster.wire.WireMessage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/** Between every node and the scheduler singleton: a node announces itself, the scheduler confirms. */
public interface NodeProtocol {

    /**
     * The key the scheduler registers itself under with the Receptionist (wherever the singleton
     * runs now). Trainers subscribe to it and send {@link Register} to every new scheduler they see,
     * so registration follows the singleton when it moves.
     */
    ServiceKey<Register> SCHEDULER_KEY = ServiceKey.create(Register.class, "fedpipe-scheduler");

    /**
     * Sent when a node starts, and again when the scheduler singleton has moved (its state is
     * recovered from the journal, so a repeated registration with the same profile changes nothing).
     */
    record Register(NodeProfile profile, ActorRef<Registered> replyTo) implements WireMessage {
        public Register {
            if (profile == null || replyTo == null) {
                throw new IllegalArgumentException("a registration needs a profile and a reply address");
            }
        }
    }

    /** The scheduler has recorded the node; {@code knownNodes} counts the nodes it now plans with. */
    record Registered(String nodeId, int knownNodes) implements WireMessage {}
}
