package io.fedpipe.model.hf;

import java.io.IOException;

/**
 * A model file or directory exists but its content breaks the format it claims: a truncated
 * safetensors file, a header that is not JSON, an index naming a shard that is not there.
 *
 * <p>The message always names the offending file (or directory) first, then the problem, so it
 * can be shown to a user as is.
 */
public final class ModelFileFormatException extends IOException {

    public ModelFileFormatException(String message) {
        super(message);
    }

    public ModelFileFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
