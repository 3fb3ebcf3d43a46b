package io.fedpipe.data;

/**
 * How tolerant a dataset load is of malformed lines.
 *
 * <p>A load skips malformed lines while their share of the non-blank lines is at most
 * {@code maxBadFraction}, and fails when it is larger: a few broken lines in a large export are
 * normal, a file where many lines are broken is the wrong file or the wrong format. Skipped
 * lines are always counted in the {@link LoadReport}; {@code maxReportedProblems} bounds how many
 * of them the report lists one by one.
 *
 * @param maxBadFraction fraction of non-blank lines allowed to be malformed, in [0, 1]; 0 is strict
 * @param maxReportedProblems how many line problems the report keeps (the count is always exact)
 */
public record LoadPolicy(double maxBadFraction, int maxReportedProblems) {

    /** One malformed line in a hundred is tolerated; the first 20 problems are listed. */
    public static final LoadPolicy DEFAULT = new LoadPolicy(0.01, 20);

    /** Any malformed line fails the load. */
    public static final LoadPolicy STRICT = new LoadPolicy(0.0, 20);

    public LoadPolicy {
        if (!(maxBadFraction >= 0.0 && maxBadFraction <= 1.0)) {
            throw new IllegalArgumentException("maxBadFraction must be in [0, 1], got " + maxBadFraction);
        }
        if (maxReportedProblems < 1) {
            throw new IllegalArgumentException("maxReportedProblems must be >= 1, got " + maxReportedProblems);
        }
    }
}
