package io.fedpipe.cluster.scheduler;

import io.fedpipe.cluster.persistence.PersistedJson;
import io.fedpipe.cluster.protocol.NodeProfile;
import java.time.Instant;

/** Facts the scheduler singleton journals; its state is rebuilt from them after a fail-over. */
public sealed interface SchedulerEvent extends PersistedJson {

    /** A node registered with this profile (again, after a restart: the newer profile wins). */
    record NodeJoined(NodeProfile profile, Instant at) implements SchedulerEvent {
        public NodeJoined {
            if (profile == null || at == null) {
                throw new IllegalArgumentException("a joined node needs its profile and a time");
            }
        }
    }

    /** A node left the cluster or was downed; the scheduler plans without it. */
    record NodeLeft(String nodeId, String reason, Instant at) implements SchedulerEvent {
        public NodeLeft {
            if (nodeId == null || nodeId.isBlank() || at == null) {
                throw new IllegalArgumentException("a left node needs its id and a time");
            }
            reason = reason == null ? "unknown" : reason;
        }
    }
}
