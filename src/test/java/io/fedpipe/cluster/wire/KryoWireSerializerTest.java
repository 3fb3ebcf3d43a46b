package io.fedpipe.cluster.wire;

import io.fedpipe.cluster.protocol.WireMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.io.Output;
import com.typesafe.config.ConfigFactory;
import io.fedpipe.cluster.WireSamples;
import io.fedpipe.cluster.config.NodeConfig;
import io.fedpipe.cluster.node.WireClasses;
import io.fedpipe.cluster.protocol.RoundProtocol;
import io.fedpipe.core.LoraTarget;
import io.fedpipe.core.MatrixId;
import io.fedpipe.aggregation.NodeUpdate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KryoWireSerializerTest {

    /** Not in the registry: must be refused. */
    record Unlisted(String text) implements WireMessage {}

    private static final WireRegistry REGISTRY = WireRegistry.of(new WireClasses());

    private static ActorTestKit kit;
    private static TestProbe<Object> probe;

    @BeforeAll
    static void start() {
        // The node's real config (bindings from application.conf), without remoting: serialization is what is tested.
        kit = ActorTestKit.create("wire", NodeConfig.layered(ConfigFactory.parseString(
                "pekko.actor.provider = local\nfedpipe.node.data-dir = target")));
        probe = kit.createTestProbe();
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    private static KryoWireSerializer serializer(int maxBytes) {
        ActorRefResolver resolver = ActorRefResolver.get(kit.system());
        return new KryoWireSerializer(new WireSettings(maxBytes), REGISTRY, () -> resolver);
    }

    @Test
    void everyWireMessageRoundTripsThroughTheConfiguredSerializer() {
        Serialization serialization = SerializationExtension.get(kit.system());
        List<WireMessage> samples = WireSamples.all(probe.ref());
        for (WireMessage m : samples) {
            Serializer s = serialization.findSerializerFor(m);
            assertEquals(KryoWireSerializer.IDENTIFIER, s.identifier(), m.getClass().getName());
            byte[] bytes = serialization.serialize(m).get();
            Object back = serialization.deserialize(bytes, s.identifier(), "").get();
            assertEquals(m, back, m.getClass().getSimpleName());
        }
        // A message class added to the registry without a sample here fails this test.
        Set<Class<?>> registered = REGISTRY.entries().stream().map(WireRegistry.Entry::type)
                .filter(t -> WireMessage.class.isAssignableFrom(t) && !t.isInterface()).collect(Collectors.toSet());
        Set<Class<?>> sampled = samples.stream().map(Object::getClass).collect(Collectors.toSet());
        assertEquals(registered, sampled);
    }

    @Test
    void aFiveMegabyteAdapterRoundTripsBitExactly() {
        // a [8, 81920], b [81920, 8]: 1,310,720 floats = 5,242,880 bytes.
        MatrixId q = new MatrixId(0, LoraTarget.Q);
        NodeUpdate update = NodeUpdate.lora("edge-a", 10, Map.of(q, WireSamples.adapter(11, 8, 81920, 81920)),
                Map.of(q, 2.0f));
        RoundProtocol.DeltaUpload upload = new RoundProtocol.DeltaUpload("job", 0, 1, update, 1.5, 0.7, 1600, kit.<RoundProtocol.DeltaAck>createTestProbe().ref());
        KryoWireSerializer s = serializer(31 << 20);
        byte[] bytes = s.toBinary(upload);
        assertTrue(bytes.length >= 5_242_880 && bytes.length < 5_242_880 + 512, "bytes: " + bytes.length);
        RoundProtocol.DeltaUpload back = (RoundProtocol.DeltaUpload) s.fromBinaryJava(bytes, null);
        assertArrayEquals(update.adapters().get(q).b().data(), back.update().adapters().get(q).b().data());
        assertEquals(upload, back);
    }

    @Test
    void aMessageOverTheLimitIsRefusedWithItsClassAndTheKey() {
        RoundProtocol.DeltaUpload big = new RoundProtocol.DeltaUpload("job", 0, 1,
                WireSamples.update("edge-a", 8, 20_000, 20_000), 1.5, 0.7, 1600, kit.<RoundProtocol.DeltaAck>createTestProbe().ref());
        WireFormatException e = assertThrows(WireFormatException.class, () -> serializer(1 << 20).toBinary(big));
        assertEquals("wire: refusing " + RoundProtocol.DeltaUpload.class.getName() + ": it is larger than "
                + "fedpipe.wire.max-message-bytes (1048576 bytes); split it into chunks or raise that limit together "
                + "with pekko.remote.artery.advanced.maximum-large-frame-size", e.getMessage());
    }

    @Test
    void anUnregisteredClassIsRefusedByName() {
        WireFormatException e = assertThrows(WireFormatException.class,
                () -> serializer(1 << 20).toBinary(new Unlisted("hi")));
        String name = Unlisted.class.getName();
        assertEquals("wire: refusing " + name + ": class " + name + " is not registered in "
                + WireClasses.class.getName() + " (every wire class needs a fixed id there)", e.getMessage());
    }

    @Test
    void anUnknownClassIdIsRefusedOnRead() {
        Output out = new Output(16);
        out.writeVarInt(999 + 2, true); // Kryo writes class ids shifted by 2 (0 = null, 1 = by name)
        WireFormatException e = assertThrows(WireFormatException.class,
                () -> serializer(1 << 20).fromBinaryJava(out.toBytes(), null));
        assertTrue(e.getMessage().startsWith("wire: cannot read a 2-byte message: Encountered unregistered class ID: 999"),
                e.getMessage());
    }

    @Test
    void registryIdsAndClassesAreUnique() {
        List<WireRegistry.Entry> entries = REGISTRY.entries();
        assertEquals(entries.size(), entries.stream().map(WireRegistry.Entry::id).distinct().count());
        assertEquals(12, REGISTRY.fingerprint().length());
    }
}
