package io.fedpipe.cli;

import io.fedpipe.data.DatasetFormatException;
import io.fedpipe.model.hf.ModelFileFormatException;
import io.fedpipe.report.RunLogFormatException;
import java.io.FileNotFoundException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Turns exceptions into the one-line messages and exit codes the CLI promises: {@link #INPUT}
 * when the user can fix it (a flag value, a missing or malformed file), {@link #FAILURE} for
 * everything else. An {@link UncheckedIOException} is judged by its cause, so a broken
 * installation (a classpath resource that cannot be read) is not blamed on the user.
 */
final class CliErrors {

    /** Bad input from the user: a file, a flag value, a dataset. */
    static final int INPUT = 2;
    /** Everything else that went wrong while running. */
    static final int FAILURE = 1;

    private CliErrors() {}

    static String message(Throwable ex) {
        Throwable t = unwrap(ex);
        if (t instanceof FileSystemException fs && fs.getFile() != null) {
            // FileSystemException's own message is often the bare path; say what is wrong with it.
            return fs.getFile() + ": " + (fs.getReason() != null ? fs.getReason() : problem(fs));
        }
        if (t instanceof FileNotFoundException) {
            return "file not found: " + t.getMessage();
        }
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m.strip();
    }

    static int exitCode(Throwable ex) {
        Throwable t = unwrap(ex);
        boolean input = t instanceof IllegalArgumentException
                || t instanceof FileSystemException
                || t instanceof FileNotFoundException
                || t instanceof DatasetFormatException
                || t instanceof ModelFileFormatException
                || t instanceof RunLogFormatException;
        return input ? INPUT : FAILURE;
    }

    private static Throwable unwrap(Throwable ex) {
        return ex instanceof UncheckedIOException && ex.getCause() != null ? ex.getCause() : ex;
    }

    private static String problem(FileSystemException fs) {
        if (fs instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (fs instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (fs instanceof FileAlreadyExistsException) {
            return "already exists";
        }
        if (fs instanceof NotDirectoryException) {
            return "not a directory";
        }
        return fs.getClass().getSimpleName();
    }
}
