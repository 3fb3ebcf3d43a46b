package io.fedpipe.cluster.protocol;

import org.apache.pekko.actor.typed.ActorRef;

/** Between every node and the scheduler singleton: a node announces itself, the scheduler confirms. */
public interface NodeProtocol {

    /**
     * The key the scheduler registers itself under with the Receptionist (wherever the singleton
     * runs now). Trainers subscribe to it and send {@link Register} to every new scheduler they see,
     * so registration follows the singleton when it moves.

    /**
     * Sent when a node starts, and again when the scheduler singleton has moved (its state is
     * recovered from the journal, so a repeated registration with the same profile changes nothing).
     * {@code trainer} is the node's trainer (the reference it registered under
     * {@link ServiceKeys#TRAINER}), or null: then the scheduler pairs the node with the listed
     * trainer at the address of {@code replyTo} (one trainer per JVM).
     */
    record Register(NodeProfile profile, ActorRef<Registered> replyTo, ActorRef<JobProtocol.TrainerCommand> trainer)
            implements WireMessage {
        public Register {
            if (profile == null || replyTo == null) {
                throw new IllegalArgumentException("a registration needs a profile and a reply address");
            }
        }

        /** A registration that leaves finding the trainer to the Receptionist listing. */
        public Register(NodeProfile profile, ActorRef<Registered> replyTo) {
            this(profile, replyTo, null);
        }
    }

    /** The scheduler has recorded the node; {@code knownNodes} counts the nodes it now plans with. */
    record Registered(String nodeId, int knownNodes) implements WireMessage {}
}
