package io.fedpipe.cluster.protocol;

import io.fedpipe.job.JobSpec;

import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What the scheduler singleton accepts from the other roles (the gateway, the management routes,
 * the readiness check), through its proxy from any node. It lives here, not with the behavior, so
 * the roles that ask depend on this leaf only. The data plane's messages to it are
 * {@link JobProtocol.SchedulerEvent}; a node's registration is {@link NodeProtocol.Register}.
 */
public interface SchedulerProtocol {

    /** Every message the scheduler handles; its private commands (timers, adapters) extend it too. */
    interface Command {}

    record SubmitJob(JobSpec job, String name, ActorRef<GatewayProtocol.Reply> replyTo)
            implements Command, WireMessage {}

    record GetJob(String jobId, ActorRef<GatewayProtocol.Reply> replyTo) implements Command, WireMessage {}

    record ListJobs(ActorRef<GatewayProtocol.Reply> replyTo) implements Command, WireMessage {}

    record CancelJob(String jobId, ActorRef<GatewayProtocol.Reply> replyTo) implements Command, WireMessage {}

    /** The known nodes; answered only once the journal is recovered (the readiness check relies on it). */
    record GetNodes(ActorRef<NodeList> replyTo) implements Command, WireMessage {}

    record NodeList(List<NodeView> nodes) implements WireMessage {
        public NodeList {
            nodes = List.copyOf(nodes);
        }
    }

    /** A node as the scheduler sees it; {@code trainer}: its trainer is listed now. */
    record NodeView(NodeProfile profile, boolean up, double slowdown, String leftReason, boolean trainer) {}
}
