package io.fedpipe.cluster.node;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.MemberStatus;

/**
 * Readiness check (Pekko Management, {@code /ready}): this node is a member with status Up.
 * A Joining or WeaklyUp member is not ready: it may not host shards or the scheduler yet.
 * Registered in management.conf under {@code pekko.management.health-checks.readiness-checks}.
 */
public final class MemberUpCheck implements Supplier<CompletionStage<Boolean>> {

    private final Cluster cluster;

    /** Pekko Management creates the check with the node's actor system. */
    public MemberUpCheck(ActorSystem system) {
        this.cluster = Cluster.get(system);
    }

    @Override
    public CompletionStage<Boolean> get() {
        return CompletableFuture.completedFuture(cluster.selfMember().status() == MemberStatus.up());
    }
}
