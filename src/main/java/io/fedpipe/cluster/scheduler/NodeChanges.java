package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.protocol.NodeProtocol;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * What {@link Membership} saw, as journaled facts: a node joins when it registers (or its trainer is
 * listed again, or its member is reachable again) and leaves when its trainer disappears from the
 * listing, its member is unreachable or removed, or a new incarnation registers before the old one
 * was seen leaving. Each handler first adopts Membership's roster.
 */
final class NodeChanges {

    private final LiveView live;
    private final Logger log;
    /** What follows a persisted change: PrepareJob to an available node, resuming recovered jobs. */
    private final JobLifecycle jobs;
    /** Check every preparing job: a node that left may be the one it waited for. */
    private final Consumer<SchedulerState> checkPreparing;

    NodeChanges(LiveView live, Logger log, JobLifecycle jobs, Consumer<SchedulerState> checkPreparing) {
        this.live = live;
        this.log = log;
        this.jobs = jobs;
        this.checkPreparing = checkPreparing;
    }

    Outcome registered(SchedulerState state, Membership.NodeRegistered c) {
        NodeProfile profile = c.register().profile();
        boolean couldTrain = live.eligible().contains(profile.nodeId());
        live.adopt(c.roster());
        boolean canTrain = !couldTrain && live.eligible().contains(profile.nodeId());
        SchedulerState.NodeEntry known = state.nodes().get(profile.nodeId());
        List<SchedulerEvent> events = new ArrayList<>();
        if (c.restarted() && known != null && known.up()) {
            // A new incarnation before the old one was seen leaving: whatever the old trainer loaded is gone.
            events.add(new SchedulerEvent.NodeLeft(profile.nodeId(), "restarted (a new trainer registered)", Instant.now()));
            known = null;
        }
        if (known == null || !known.up() || !known.profile().equals(profile)) {
            events.add(new SchedulerEvent.NodeJoined(profile, Instant.now()));
        }
        return new Outcome(events, s -> {
            logged(events);
            if (c.restarted()) {
                live.forget(profile.nodeId());
            }
            if (canTrain) {
                log.info("node {} can train: its trainer is listed", profile.nodeId());
            }
            c.register().replyTo().tell(new NodeProtocol.Registered(profile.nodeId(), s.upNodes().size()));
            jobs.nodeAvailable(s, profile.nodeId());
            jobs.resumeWhenReady(s);
        });
    }

    Outcome trainersChanged(SchedulerState state, Membership.TrainersChanged c) {
        live.adopt(c.roster());
        List<SchedulerEvent> events = new ArrayList<>();
        Instant now = Instant.now();
        c.lost().stream().filter(id -> up(state, id)).forEach(id ->
                events.add(new SchedulerEvent.NodeLeft(id, "its trainer left the receptionist listing", now)));
        live.eligible().stream().filter(id -> state.nodes().containsKey(id) && !up(state, id)).forEach(id ->
                events.add(new SchedulerEvent.NodeJoined(live.roster().registrations().get(id).profile(), now)));
        return new Outcome(events, s -> {
            logged(events);
            // A node takes part in jobs submitted from now on (its trainer is listed): what a job's
            // participants are drawn from, so operators (and the process tests) can wait for it.
            c.gained().forEach(id -> log.info("node {} can train: its trainer is listed", id));
            c.gained().forEach(id -> jobs.nodeAvailable(s, id));
            jobs.resumeWhenReady(s);
            checkPreparing.accept(s);
        });
    }

    Outcome memberGone(SchedulerState state, Membership.MemberGone c) {
        live.adopt(c.roster());
        List<SchedulerEvent> events = new ArrayList<>();
        c.nodes().stream().filter(id -> up(state, id))
                .forEach(id -> events.add(new SchedulerEvent.NodeLeft(id, c.reason(), Instant.now())));
        return new Outcome(events, s -> {
            logged(events);
            checkPreparing.accept(s);
        });
    }

    Outcome memberBack(SchedulerState state, Membership.MemberBack c) {
        live.adopt(c.roster());
        List<String> back = c.nodes().stream()
                .filter(id -> state.nodes().containsKey(id) && !up(state, id) && live.trainerOf(id) != null).toList();
        List<SchedulerEvent> events = new ArrayList<>();
        back.forEach(id -> events.add(new SchedulerEvent.NodeJoined(live.roster().registrations().get(id).profile(),
                Instant.now())));
        return new Outcome(events, s -> {
            logged(events);
            back.forEach(id -> jobs.nodeAvailable(s, id));
        });
    }

    /**
     * The recovery grace is over: a node the journal says is up but that did not register with this
     * scheduler died with the previous one (or while there was none) and has left.
     */
    Outcome unregisteredLeft(SchedulerState state, long graceSeconds) {
        List<SchedulerEvent> events = new ArrayList<>();
        state.upNodes().stream().filter(id -> !live.roster().registered(id)).forEach(id -> events.add(
                new SchedulerEvent.NodeLeft(id, "did not register within " + graceSeconds
                        + " s of the scheduler's recovery", Instant.now())));
        return new Outcome(events, s -> logged(events));
    }

    private static boolean up(SchedulerState s, String nodeId) {
        SchedulerState.NodeEntry n = s.nodes().get(nodeId);
        return n != null && n.up();
    }

    /** Node changes in the log (they explain every re-plan); a node that left loses its trainer sessions. */
    private void logged(List<SchedulerEvent> events) {
        for (SchedulerEvent e : events) {
            if (e instanceof SchedulerEvent.NodeLeft l) {
                log.info("node {} left: {}", l.nodeId(), l.reason());
                live.forget(l.nodeId());
            } else if (e instanceof SchedulerEvent.NodeJoined j) {
                log.info("node {} joined", j.profile().nodeId());
            }
        }
    }
}
