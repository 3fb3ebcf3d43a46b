package io.fedpipe.data;

import java.util.Objects;

/**
 * A loaded dataset together with the report of how it was read; callers should log
 * {@link LoadReport#summary()} whenever {@link LoadReport#hasProblems()}.
 */
public record LoadResult<D>(D dataset, LoadReport report) {

    public LoadResult {
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(report, "report");
    }
}
