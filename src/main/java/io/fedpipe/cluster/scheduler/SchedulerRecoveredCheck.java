package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.protocol.SchedulerProtocol;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Readiness check "scheduler recovered" (DESIGN.md §2) on nodes with role {@code scheduler}: the
 * singleton answers a query through its proxy. It answers only after replaying its journal (an
 * event-sourced actor stashes commands while recovering), so an answer means recovered. Nodes
 * without the role are not held back by it.
 */
public final class SchedulerRecoveredCheck implements Supplier<CompletionStage<Boolean>> {

    private static final Duration TIMEOUT = Duration.ofMillis(900);
    private final org.apache.pekko.actor.typed.ActorSystem<?> system;

    public SchedulerRecoveredCheck(org.apache.pekko.actor.ActorSystem system) {
        this.system = Adapter.toTyped(system);
    }

    @Override
    public CompletionStage<Boolean> get() {
        SchedulerAccess cp = SchedulerAccess.get(system);
        if (!org.apache.pekko.cluster.typed.Cluster.get(system).selfMember().hasRole("scheduler")) {
            return CompletableFuture.completedFuture(true);
        }
        return cp.scheduler().<CompletionStage<Boolean>>map(s -> AskPattern.<SchedulerProtocol.Command, SchedulerProtocol.NodeList>ask(
                s, SchedulerProtocol.GetNodes::new, TIMEOUT, system.scheduler()).handle((r, e) -> e == null))
                .orElse(CompletableFuture.completedFuture(false));
    }
}
