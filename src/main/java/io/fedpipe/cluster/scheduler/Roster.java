package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.protocol.JobProtocol.TrainerCommand;
import io.fedpipe.cluster.protocol.NodeProtocol;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Who can train now, as {@link Membership} last saw it: each node's registration (its latest
 * incarnation) and the trainers the Receptionist lists. Immutable; not journaled, because
 * references die with their incarnation and nodes register again after a scheduler fail-over.
 */
record Roster(Map<String, NodeProtocol.Register> registrations, Set<ActorRef<TrainerCommand>> listed) {

    static final Roster EMPTY = new Roster(Map.of(), Set.of());

    Roster {
        registrations = Map.copyOf(registrations);
        listed = Set.copyOf(listed);
    }

    /** The node's trainer if it is listed now: the one it named, or the only one at its address. */
    ActorRef<TrainerCommand> trainerOf(String nodeId) {
        NodeProtocol.Register r = registrations.get(nodeId);
        if (r == null) {
            return null;
        }
        if (r.trainer() != null) {
            return listed.contains(r.trainer()) ? r.trainer() : null;
        }
        List<ActorRef<TrainerCommand>> same = listed.stream()
                .filter(t -> t.path().address().equals(r.replyTo().path().address())).toList();
        return same.size() == 1 ? same.get(0) : null;
    }

    /** Registered nodes whose trainer is listed. */
    Set<String> eligible() {
        Set<String> out = new TreeSet<>();
        registrations.keySet().stream().filter(id -> trainerOf(id) != null).forEach(out::add);
        return out;
    }

    boolean registered(String nodeId) {
        return registrations.containsKey(nodeId);
    }

    /** Registered nodes whose node actor lives at {@code address}. */
    Set<String> at(Address address) {
        Set<String> out = new TreeSet<>();
        registrations.forEach((id, r) -> {
            if (r.replyTo().path().address().equals(address)) {
                out.add(id);
            }
        });
        return out;
    }
}
