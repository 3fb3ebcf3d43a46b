package io.fedpipe.cluster.wire;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

/**
 * The {@code fedpipe.wire} settings.
 *
 * @param maxMessageBytes the largest serialized message; larger ones are refused with an error
 *                        naming their class, never dropped silently. It must leave room for
 *                        Artery's envelope inside {@code maximum-large-frame-size}, the largest
 *                        frame the large-message lane carries.
 */
public record WireSettings(int maxMessageBytes) {

    /** Room kept for Artery's envelope (recipient and sender paths, manifest) within a frame. */
    public static final int ENVELOPE_HEADROOM = 64 * 1024;

    public static final String MAX_MESSAGE_BYTES = "fedpipe.wire.max-message-bytes";
    public static final String MAX_LARGE_FRAME = "pekko.remote.artery.advanced.maximum-large-frame-size";

    public WireSettings {
        if (maxMessageBytes < 1024) {
            throw new IllegalArgumentException(MAX_MESSAGE_BYTES + " must be at least 1 KiB: " + maxMessageBytes);
        }
    }

    /** Reads and checks the limit against the large-message frame it must fit in. */
    public static WireSettings fromConfig(Config config) {
        long max;
        long frame;
        try {
            max = config.getBytes(MAX_MESSAGE_BYTES);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(MAX_MESSAGE_BYTES + " must be a size in bytes (e.g. 30 MiB)", e);
        }
        try {
            frame = config.getBytes(MAX_LARGE_FRAME);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(MAX_LARGE_FRAME + " must be a size in bytes (e.g. 32 MiB)", e);
        }
        if (max > frame - ENVELOPE_HEADROOM) {
            throw new IllegalArgumentException(MAX_MESSAGE_BYTES + " (" + max + " bytes) must be at most "
                    + MAX_LARGE_FRAME + " less 64 KiB of envelope (" + (frame - ENVELOPE_HEADROOM) + " bytes)");
        }
        return new WireSettings(Math.toIntExact(max));
    }
}
