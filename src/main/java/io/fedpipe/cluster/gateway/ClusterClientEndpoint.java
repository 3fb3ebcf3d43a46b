package io.fedpipe.cluster.gateway;

import io.fedpipe.cluster.protocol.GatewayProtocol;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.Patterns;

/**
 * The Cluster Client transport of the gateway: registered with the ClusterClientReceptionist at
 * {@link #PATH}, it takes a bare {@link GatewayProtocol.Request}, asks the {@link JobGateway} and
 * answers the sender (the receptionist's tunnel back to the client). Classic, because a Cluster
 * Client's reply address is the classic sender.
 */
public final class ClusterClientEndpoint extends AbstractActor {

    /** Where clients send: {@code ClusterClient.Send(PATH, request)}. */
    public static final String PATH = "/system/fedpipe-gateway";
    static final String NAME = "fedpipe-gateway";

    private final ActorRef<JobGateway.Request> gateway;
    private final Duration timeout;

    public static Props props(ActorRef<JobGateway.Request> gateway, Duration timeout) {
        return Props.create(ClusterClientEndpoint.class, () -> new ClusterClientEndpoint(gateway, timeout));
    }

    private ClusterClientEndpoint(ActorRef<JobGateway.Request> gateway, Duration timeout) {
        this.gateway = gateway;
        this.timeout = timeout;
    }

    @Override
    public Receive createReceive() {
        return receiveBuilder().match(GatewayProtocol.Request.class, request -> {
            CompletionStage<GatewayProtocol.Reply> answer = AskPattern.<JobGateway.Request, GatewayProtocol.Reply>ask(
                    gateway, replyTo -> new JobGateway.Request(request, replyTo), timeout,
                    Adapter.toTyped(getContext().getSystem()).scheduler())
                    .exceptionally(e -> new GatewayProtocol.RequestFailed("the scheduler did not answer within "
                            + timeout.toSeconds() + " s (is a scheduler node up?)"));
            Patterns.pipe(answer, getContext().getDispatcher()).to(getSender());
        }).build();
    }
}
