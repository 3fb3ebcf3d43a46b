package io.fedpipe.cluster.protocol;

/**
 * Marker of every message that crosses nodes. application.conf binds it to
 * {@link KryoWireSerializer}; each implementing class must also be listed in {@link WireRegistry},
 * otherwise it is refused when sent.
 */
public interface WireMessage {}
