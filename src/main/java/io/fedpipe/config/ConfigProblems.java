package io.fedpipe.config;

import java.util.List;

/**
 * Everything that is wrong with one configuration, one problem per line, so a user fixes a file
 * in one pass instead of one error per run.
 */
public final class ConfigProblems extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final List<String> lines;

    public ConfigProblems(List<String> lines) {
        super(String.join("\n", lines));
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("no problems to report");
        }
        this.lines = List.copyOf(lines);
    }

    ConfigProblems(String line, Throwable cause) {
        super(line, cause);
        this.lines = List.of(line);
    }

    /** One entry per problem, in the order they were found. */
    public List<String> lines() {
        return lines;
    }
}
