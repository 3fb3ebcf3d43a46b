package io.fedpipe.cluster.scheduler;

import java.util.List;
import java.util.function.Consumer;

/**
 * What a scheduler command leads to: the events to persist, and what to do once they are (with the
 * state after them). The handlers outside the behavior return one; the behavior turns it into its
 * {@code Effect}, so events are persisted before anything acts on them.
 */
record Outcome(List<SchedulerEvent> events, Consumer<SchedulerState> then) {

    Outcome {
        events = List.copyOf(events);
    }

    static Outcome none() {
        return new Outcome(List.of(), s -> { });
    }
}
