package io.fedpipe.cluster.protocol;

/**
 * Marker of every message that crosses nodes. serialization.conf binds it to
 * {@code io.fedpipe.cluster.wire.KryoWireSerializer}; each implementing class must also be listed
 * with its Kryo id in {@code io.fedpipe.cluster.node.WireClasses}, otherwise it is refused when
 * sent. It lives here, with the protocols, so that no role depends on the wire format's package.
 */
public interface WireMessage {}
