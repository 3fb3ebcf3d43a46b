package io.fedpipe.cluster.protocol;

import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The names under which the control plane and the data plane find each other; both sides use
 * these constants, never their own strings.
 *
 * <ul>
 *   <li>Every trainer registers itself with the Receptionist under {@link #TRAINER}. The actor
 *       behind that reference also accepts {@link RoundProtocol.RoundAssignment} and
 *       {@link RoundProtocol.DeltaAck} (JobProtocol's javadoc), so the scheduler hands the same
 *       reference to the aggregators.</li>
 *   <li>The scheduler singleton registers under {@link #SCHEDULER}; a trainer subscribes to it and
 *       sends {@link NodeProtocol.Register} to every new listing (this is how a node re-registers
 *       after the singleton moved). A trainer matches its registration to its trainer reference
 *       by the reference it passes in {@link NodeProtocol.Register#trainer()}; when that is
 *       absent, the scheduler pairs the registration with the listed trainer at the same address.</li>
 *   <li>Aggregator partitions are sharded entities of type {@link #AGGREGATOR_TYPE_NAME} with
 *       entity id {@link #aggregatorEntityId}. Sharding finds a region by the type's name, so the
 *       data plane may initialise the entity with a wider message type under the same name.</li>
 * </ul>
 */
public final class ServiceKeys {

    /** Receptionist key of every node's trainer. */
    public static final ServiceKey<JobProtocol.TrainerCommand> TRAINER =
            ServiceKey.create(JobProtocol.TrainerCommand.class, "fedpipe-trainer");

    /** Receptionist key of the scheduler singleton's registration endpoint. */
    public static final ServiceKey<NodeProtocol.Register> SCHEDULER =
            ServiceKey.create(NodeProtocol.Register.class, "fedpipe-scheduler");

    /** The sharded aggregator entity's type name. */
    public static final String AGGREGATOR_TYPE_NAME = "fedpipe-aggregator";

    /** The aggregator entity type as the scheduler addresses it (only {@link JobProtocol.AggregatorCommand}s). */
    public static final EntityTypeKey<JobProtocol.AggregatorCommand> AGGREGATOR =
            EntityTypeKey.create(JobProtocol.AggregatorCommand.class, AGGREGATOR_TYPE_NAME);

    private ServiceKeys() {}

    /** Entity id of partition {@code partition} of job {@code jobId}: {@code jobId/partition}. */
    public static String aggregatorEntityId(String jobId, int partition) {
        return jobId + "/" + partition;
    }
}
