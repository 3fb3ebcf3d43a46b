package io.fedpipe.cluster.protocol;

/**
 * Marker of every persisted event and snapshot. serialization.conf binds it to Pekko's
 * {@code jackson-json} serializer: JSON can be read by a later FedPipe version (fields added,
 * renamed with migrations), which Kryo's wire format cannot (docs/decisions/0007).
 */
public interface PersistedJson {}
