package io.fedpipe.report;

import java.io.IOException;

/** A run log cannot be used as it is; the message names the file and, where it applies, the line. */
public final class RunLogFormatException extends IOException {

    public RunLogFormatException(String message) {
        super(message);
    }
}
