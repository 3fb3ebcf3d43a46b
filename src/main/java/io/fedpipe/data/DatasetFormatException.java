package io.fedpipe.data;

import java.io.IOException;
import java.util.Optional;

/**
 * A dataset source cannot be used as it is: empty, not UTF-8, or with more malformed lines than
 * the {@link LoadPolicy} allows. The message names the source and the lines at fault; when lines
 * were parsed, the {@link LoadReport} holds the counts and the first problems.
 */
public final class DatasetFormatException extends IOException {

    private final transient LoadReport report;

    public DatasetFormatException(String message) {
        this(message, null);
    }

    public DatasetFormatException(String message, LoadReport report) {
        super(message);
        this.report = report;
    }

    public Optional<LoadReport> report() {
        return Optional.ofNullable(report);
    }
}
