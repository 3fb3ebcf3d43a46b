package io.fedpipe.cluster.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import io.fedpipe.aggregation.Failure;
import io.fedpipe.aggregation.NodeUpdate;
import io.fedpipe.aggregation.Rejection;
import io.fedpipe.aggregation.ScaledAdapter;
import io.fedpipe.cluster.aggregator.Aggregator;
import io.fedpipe.cluster.config.NodeRole;
import io.fedpipe.cluster.gateway.GatewayProtocol;
import io.fedpipe.job.JobSpec;
import io.fedpipe.cluster.protocol.JobProtocol;
import io.fedpipe.cluster.protocol.NodeProfile;
import io.fedpipe.cluster.protocol.NodeProtocol;
import io.fedpipe.cluster.protocol.RoundProtocol;
import io.fedpipe.cluster.scheduler.Scheduler;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.lora.PeftAdapters;
import io.fedpipe.core.HostTensor;
import io.fedpipe.round.NodeAssignment;
import io.fedpipe.round.NodeRoundPlan;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * Every class that may appear on the wire, with its fixed Kryo id: the one place to add one.
 *
 * <p>Kryo writes these ids instead of class names, so the list must be identical on every node
 * of a cluster (same FedPipe build); {@link #fingerprint()} summarises it for the start-up log.
 * Ids are never reused: a removed class leaves a gap. Kryo pre-registers the primitives and
 * String below id 10. Records use Kryo's record serializer (canonical constructor, so their
 * validation runs on arrival); read-only JDK collections use {@link ReadOnlyCollectionSerializers};
 * actor references travel as their serialized path.
 */
public final class WireRegistry {

    /** One registered class; {@code serializer} is null for Kryo's default (records, enums, arrays). */
    public record Entry(int id, Class<?> type, Function<ActorRefResolver, Serializer<?>> serializer) {}

    private static final List<Entry> ENTRIES = build();

    private WireRegistry() {}

    private static List<Entry> build() {
        List<Entry> e = new ArrayList<>();
        // JDK types (20..49)
        e.add(new Entry(20, long[].class, null));
        e.add(new Entry(21, float[].class, null));
        e.add(new Entry(22, int[].class, null));
        e.add(new Entry(23, double[].class, null));
        e.add(new Entry(24, byte[].class, null));
        e.add(new Entry(26, List.of().getClass(), r -> new ReadOnlyCollectionSerializers.ListSerializer()));
        e.add(new Entry(27, List.of(0).getClass(), r -> new ReadOnlyCollectionSerializers.ListSerializer()));
        e.add(new Entry(28, Collections.unmodifiableList(new ArrayList<>()).getClass(),
                r -> new ReadOnlyCollectionSerializers.ListSerializer()));
        e.add(new Entry(29, Map.of().getClass(), r -> new ReadOnlyCollectionSerializers.MapSerializer()));
        e.add(new Entry(30, Map.of(0, 0).getClass(), r -> new ReadOnlyCollectionSerializers.MapSerializer()));
        e.add(new Entry(31, Collections.unmodifiableMap(new HashMap<>()).getClass(),
                r -> new ReadOnlyCollectionSerializers.MapSerializer()));
        e.add(new Entry(32, Set.of().getClass(), r -> new ReadOnlyCollectionSerializers.SetSerializer()));
        e.add(new Entry(33, Set.of(0).getClass(), r -> new ReadOnlyCollectionSerializers.SetSerializer()));
        e.add(new Entry(34, Collections.unmodifiableSet(new HashSet<>()).getClass(),
                r -> new ReadOnlyCollectionSerializers.SetSerializer()));
        e.add(new Entry(35, ActorRef.class, ActorRefSerializer::new));
        // Model and round data (50..99)
        e.add(new Entry(50, LoraTarget.class, null));
        e.add(new Entry(51, MatrixId.class, null));
        e.add(new Entry(52, HostTensor.class, null));
        e.add(new Entry(53, PeftAdapters.Adapter.class, null));
        e.add(new Entry(54, ScaledAdapter.class, null));
        e.add(new Entry(55, NodeRoundPlan.class, null));
        e.add(new Entry(56, NodeAssignment.class, null));
        e.add(new Entry(57, NodeUpdate.class, null));
        e.add(new Entry(58, Failure.class, null));
        e.add(new Entry(59, Rejection.class, null));
        e.add(new Entry(60, NodeRole.class, null));
        e.add(new Entry(61, NodeProfile.class, null));
        // The job (62..69); 120 was the flat JobDefinition.
        e.add(new Entry(62, JobSpec.class, null));
        e.add(new Entry(63, JobSpec.Data.class, null));
        e.add(new Entry(64, JobSpec.PlannerChoices.class, null));
        e.add(new Entry(65, JobSpec.ImportanceStage.class, null));
        // Protocols (100..)
        e.add(new Entry(100, NodeProtocol.Register.class, null));
        e.add(new Entry(101, NodeProtocol.Registered.class, null));
        e.add(new Entry(110, RoundProtocol.RoundAssignment.class, null));
        e.add(new Entry(111, RoundProtocol.DeltaUpload.class, null));
        e.add(new Entry(112, RoundProtocol.RoundDeclined.class, null));
        e.add(new Entry(113, RoundProtocol.DeltaAck.class, null));
        e.add(new Entry(114, RoundProtocol.Outcome.class, null));
        e.add(new Entry(121, JobProtocol.PrepareJob.class, null));
        e.add(new Entry(122, JobProtocol.JobPrepared.class, null));
        e.add(new Entry(123, JobProtocol.JobRefused.class, null));
        e.add(new Entry(124, JobProtocol.OpenRound.class, null));
        e.add(new Entry(125, JobProtocol.NodeRoundStats.class, null));
        e.add(new Entry(126, JobProtocol.RoundClosed.class, null));
        e.add(new Entry(127, JobProtocol.GetGlobal.class, null));
        e.add(new Entry(128, JobProtocol.GlobalSlice.class, null));
        e.add(new Entry(129, JobProtocol.FinishJob.class, null));
        e.add(new Entry(140, Aggregator.Passivate.class, null));
        // Gateway and scheduler queries (160..)
        e.add(new Entry(160, GatewayProtocol.SubmitJob.class, null));
        e.add(new Entry(161, GatewayProtocol.GetJobStatus.class, null));
        e.add(new Entry(162, GatewayProtocol.ListJobs.class, null));
        e.add(new Entry(163, GatewayProtocol.CancelJob.class, null));
        e.add(new Entry(164, GatewayProtocol.JobAccepted.class, null));
        e.add(new Entry(165, GatewayProtocol.JobRejected.class, null));
        e.add(new Entry(166, GatewayProtocol.JobCancelled.class, null));
        e.add(new Entry(167, GatewayProtocol.UnknownJob.class, null));
        e.add(new Entry(168, GatewayProtocol.RequestFailed.class, null));
        e.add(new Entry(169, GatewayProtocol.JobState.class, null));
        e.add(new Entry(170, GatewayProtocol.JobSummary.class, null));
        e.add(new Entry(171, GatewayProtocol.JobList.class, null));
        e.add(new Entry(172, GatewayProtocol.PlanRow.class, null));
        e.add(new Entry(173, GatewayProtocol.Excluded.class, null));
        e.add(new Entry(174, GatewayProtocol.NodeMetrics.class, null));
        e.add(new Entry(175, GatewayProtocol.RoundMetrics.class, null));
        e.add(new Entry(176, GatewayProtocol.PlanChange.class, null));
        e.add(new Entry(177, GatewayProtocol.JobStatus.class, null));
        e.add(new Entry(178, GatewayProtocol.GetGlobalModel.class, null));
        e.add(new Entry(179, GatewayProtocol.GlobalModel.class, null));
        e.add(new Entry(180, Scheduler.SubmitJob.class, null));
        e.add(new Entry(181, Scheduler.GetJob.class, null));
        e.add(new Entry(182, Scheduler.ListJobs.class, null));
        e.add(new Entry(183, Scheduler.CancelJob.class, null));
        e.add(new Entry(184, Scheduler.GetNodes.class, null));
        e.add(new Entry(185, Scheduler.NodeList.class, null));
        e.add(new Entry(186, Scheduler.NodeView.class, null));
        checkUnique(e);
        return List.copyOf(e);
    }

    private static void checkUnique(List<Entry> entries) {
        Set<Integer> ids = new HashSet<>();
        Set<Class<?>> types = new HashSet<>();
        for (Entry x : entries) {
            if (x.id() < 20 || !ids.add(x.id()) || !types.add(x.type())) {
                throw new IllegalStateException("wire registry: id " + x.id() + " or class " + x.type().getName()
                        + " is listed twice or below 20");
            }
        }
    }

    public static List<Entry> entries() {
        return ENTRIES;
    }

    /** Registers every entry on {@code kryo}; actor references are resolved with {@code resolver}. */
    static void registerAll(Kryo kryo, ActorRefResolver resolver) {
        for (Entry x : ENTRIES) {
            if (x.serializer() == null) {
                kryo.register(x.type(), x.id());
            } else {
                kryo.register(x.type(), x.serializer().apply(resolver), x.id());
            }
        }
    }

    /** The first 12 hex digits of SHA-256 over "id=class" lines: equal on nodes that can talk. */
    public static String fingerprint() {
        StringBuilder s = new StringBuilder();
        for (Entry x : ENTRIES) {
            s.append(x.id()).append('=').append(x.type().getName()).append('\n');
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** An actor reference as its serialized path, resolved again on the receiving node. */
    private static final class ActorRefSerializer extends Serializer<ActorRef<?>> {
        private final ActorRefResolver resolver;

        ActorRefSerializer(ActorRefResolver resolver) {
            this.resolver = resolver;
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output output, ActorRef<?> ref) {
            output.writeString(resolver.toSerializationFormat(ref));
        }

        @Override
        public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
            return resolver.resolveActorRef(input.readString());
        }
    }
}
