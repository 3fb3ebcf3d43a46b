package io.fedpipe.data;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What a dataset load read, kept and skipped, so that no line disappears unnoticed.
 *
 * <p>Every physical line of the source is exactly one of: a record that was kept, a blank
 * (empty or whitespace-only) line, which is ignored, or a malformed line, which is skipped:
 * {@code lines == records + blankLines + badLines}. Line numbers are 1-based.
 *
 * @param source the file name or other name the caller gave the source
 * @param lines physical lines read
 * @param blankLines empty or whitespace-only lines, ignored
 * @param records lines turned into examples
 * @param badLines malformed lines, skipped
 * @param problems the first malformed lines with their problem, in line order (at most
 *     {@link LoadPolicy#maxReportedProblems()} of the {@code badLines})
 */
public record LoadReport(String source, long lines, long blankLines, long records, long badLines,
                         List<LineProblem> problems) {

    /** One malformed line: its 1-based number and what is wrong with it. */
    public record LineProblem(long line, String problem) {

        @Override
        public String toString() {
            return "line " + line + ": " + problem;
        }
    }

    public LoadReport {
        Objects.requireNonNull(source, "source");
        problems = List.copyOf(problems);
        if (lines != records + blankLines + badLines) {
            throw new IllegalArgumentException("lines (" + lines + ") != records (" + records
                    + ") + blank (" + blankLines + ") + bad (" + badLines + ")");
        }
    }

    /** Malformed lines as a share of non-blank lines; 0 when there are none. */
    public double badFraction() {
        long nonBlank = records + badLines;
        return nonBlank == 0 ? 0.0 : (double) badLines / nonBlank;
    }

    public boolean hasProblems() {
        return badLines > 0;
    }

    /** The first {@code max} problems, joined for a log line or an exception message. */
    public String firstProblems(int max) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(max, problems.size()); i++) {
            out.append(i == 0 ? "" : "; ").append(problems.get(i));
        }
        if (badLines > Math.min(max, problems.size())) {
            out.append("; ...");
        }
        return out.toString();
    }

    /** One line for the log: counts, and the first problems when there were any. */
    public String summary() {
        String counts = String.format(Locale.ROOT, "%s: %d records from %d lines (%d blank ignored, %d malformed skipped)",
                source, records, lines, blankLines, badLines);
        return badLines == 0 ? counts : counts + "; " + firstProblems(5);
    }
}
