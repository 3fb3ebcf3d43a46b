package io.fedpipe.cluster.wire;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.remote.artery.RemoteInstrument;

/**
 * Counts the bytes Artery really sends and receives, per message class (the serialized frame
 * size Artery reports, headers included), so the adapters' cost on the wire can be compared with
 * their raw float32 size. Registered in {@code pekko.remote.artery.advanced.instruments}; Pekko
 * creates one instance per encoder and decoder stage, the counters are shared per JVM (one node).
 * Writes no metadata into the frames.
 */
public final class WireBytes extends RemoteInstrument {

    /** Within 0..31 and unused by Pekko's own instruments. */
    private static final byte IDENTIFIER = 17;

    private static final Map<String, LongAdder> SENT = new ConcurrentHashMap<>();
    private static final Map<String, LongAdder> RECEIVED = new ConcurrentHashMap<>();

    @Override
    public byte identifier() {
        return IDENTIFIER;
    }

    @Override
    public boolean serializationTimingEnabled() {
        return false;
    }

    @Override
    public void remoteWriteMetadata(ActorRef recipient, Object message, ActorRef sender, ByteBuffer buffer) {
        // Nothing to add to the frame.
    }

    @Override
    public void remoteMessageSent(ActorRef recipient, Object message, ActorRef sender, int size, long time) {
        SENT.computeIfAbsent(name(message), k -> new LongAdder()).add(size);
    }

    @Override
    public void remoteReadMetadata(ActorRef recipient, Object message, ActorRef sender, ByteBuffer buffer) {
        // Nothing was written.
    }

    @Override
    public void remoteMessageReceived(ActorRef recipient, Object message, ActorRef sender, int size, long time) {
        RECEIVED.computeIfAbsent(name(message), k -> new LongAdder()).add(size);
    }

    /** Bytes sent by this JVM per message class (simple name, nested classes as Outer.Inner). */
    public static Map<String, Long> sent() {
        return snapshot(SENT);
    }

    /** Bytes received by this JVM per message class. */
    public static Map<String, Long> received() {
        return snapshot(RECEIVED);
    }

    private static Map<String, Long> snapshot(Map<String, LongAdder> m) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    static String name(Object message) {
        if (message == null) {
            return "null";
        }
        String n = message.getClass().getName();
        return n.substring(n.lastIndexOf('.') + 1).replace('$', '.');
    }
}
