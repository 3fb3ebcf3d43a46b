package io.fedpipe.cli;

import java.io.FileNotFoundException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;

/** Turns exceptions into the one-line messages and exit codes the CLI promises. */
final class CliErrors {

    /** Bad input from the user: a file, a flag value, a dataset. */
    static final int INPUT = 2;
    /** Everything else that went wrong while running. */
    static final int FAILURE = 1;

    private CliErrors() {}

    static String message(Throwable ex) {
        Throwable t = ex;
        if (t instanceof UncheckedIOException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof NoSuchFileException || t instanceof FileNotFoundException) {
            return "file not found: " + t.getMessage();
        }
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    static int exitCode(Throwable ex) {
        return ex instanceof IllegalArgumentException || ex instanceof UncheckedIOException ? INPUT : FAILURE;
    }
}
