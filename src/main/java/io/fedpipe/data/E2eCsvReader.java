package io.fedpipe.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the E2E NLG CSV files ({@code devset.csv}, {@code testset_w_refs.csv}): a header
 * {@code mr,ref} (either field may be quoted) and one (MR, reference) row per line, UTF-8.
 *
 * <p><b>Quoting</b> follows RFC 4180: a field that starts with {@code "} is quoted, may contain
 * commas, and writes a quote as {@code ""}; its closing quote must end the field. One difference:
 * a record is one physical line (the E2E files have no line breaks inside fields), so a quote
 * still open at the end of a line is an unterminated quote, not a continuation; a stray quote
 * cannot swallow the rest of the file.
 *
 * <p><b>Row policy</b>, as {@link JsonlReader}'s line policy: blank lines are ignored and counted;
 * a row is malformed when it does not have exactly two fields, has an unterminated quote or text
 * after a closing quote, a quote inside an unquoted field, or a blank MR or reference. Malformed
 * rows are skipped and counted (each with its line number and problem in the {@link LoadReport})
 * while their share of non-blank rows stays within {@link LoadPolicy#maxBadFraction()}; above it
 * the load fails with a {@link DatasetFormatException}. A missing or wrong header, an empty file
 * and non-UTF-8 bytes always fail. The report counts the lines after the header.
 *
 * <p>Rows are grouped by MR: one {@link E2eInstance} per distinct MR in order of first
 * appearance, its references in file order (rows of one MR need not be adjacent).
 */
public final class E2eCsvReader {

    private static final int PROBLEMS_IN_MESSAGE = 5;
    private static final int MAX_SHOWN_TEXT = 60;

    private E2eCsvReader() {
    }

    public static LoadResult<E2eDataset> read(Path file) throws IOException {
        return read(file, LoadPolicy.DEFAULT);
    }

    public static LoadResult<E2eDataset> read(Path file, LoadPolicy policy) throws IOException {
        if (Files.isDirectory(file)) {
            throw new DatasetFormatException(file + ": is a directory, expected an E2E CSV file");
        }
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "E2E CSV file does not exist");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), policy);
        }
    }

    /** As {@link #read(Path, LoadPolicy)}, from a stream the caller owns. */
    public static LoadResult<E2eDataset> read(InputStream in, String source, LoadPolicy policy) throws IOException {
        Utf8LineReader lines = new Utf8LineReader(in, source);
        String header = lines.next();
        if (header == null) {
            throw new DatasetFormatException(source + ": file is empty, expected the header mr,ref");
        }
        List<String> headerFields;
        try {
            headerFields = fields(header);
        } catch (BadRow e) {
            throw new DatasetFormatException(source + ":1: bad header (" + e.getMessage() + "), expected mr,ref");
        }
        if (!headerFields.equals(List.of("mr", "ref"))) {
            throw new DatasetFormatException(source + ":1: header is " + shorten(header) + ", expected mr,ref");
        }
        Map<String, List<String>> byMr = new LinkedHashMap<>();
        List<LoadReport.LineProblem> problems = new ArrayList<>();
        long blank = 0;
        long bad = 0;
        long rows = 0;
        for (String line = lines.next(); line != null; line = lines.next()) {
            if (line.isBlank()) {
                blank++;
                continue;
            }
            try {
                String[] row = row(line);
                byMr.computeIfAbsent(row[0], mr -> new ArrayList<>()).add(row[1]);
                rows++;
            } catch (BadRow e) {
                bad++;
                if (problems.size() < policy.maxReportedProblems()) {
                    problems.add(new LoadReport.LineProblem(lines.lineNumber(), e.getMessage()));
                }
            }
        }
        long dataLines = Math.max(0, lines.lineNumber() - 1);
        LoadReport report = new LoadReport(source, dataLines, blank, rows, bad, problems);
        check(report, policy);
        List<E2eInstance> instances = new ArrayList<>(byMr.size());
        byMr.forEach((mr, refs) -> instances.add(new E2eInstance(mr, refs)));
        return new LoadResult<>(E2eDataset.of(instances), report);
    }

    private static void check(LoadReport report, LoadPolicy policy) throws DatasetFormatException {
        String source = report.source();
        if (report.records() == 0 && report.badLines() == 0) {
            throw new DatasetFormatException(source + ": no rows after the header", report);
        }
        if (report.records() == 0 || report.badFraction() > policy.maxBadFraction()) {
            throw new DatasetFormatException(String.format(Locale.ROOT,
                    "%s: %d of %d rows are malformed (%.2f%%, allowed %.2f%%); first problems: %s",
                    source, report.badLines(), report.records() + report.badLines(), 100 * report.badFraction(),
                    100 * policy.maxBadFraction(), report.firstProblems(PROBLEMS_IN_MESSAGE)), report);
        }
    }

    /** The (mr, ref) of one data row. */
    private static String[] row(String line) throws BadRow {
        List<String> fields = fields(line);
        if (fields.size() != 2) {
            throw new BadRow("expected 2 fields (mr,ref), got " + fields.size());
        }
        if (fields.get(0).isBlank()) {
            throw new BadRow("empty mr");
        }
        if (fields.get(1).isBlank()) {
            throw new BadRow("empty ref");
        }
        return new String[] {fields.get(0), fields.get(1)};
    }

    /** The fields of one line under RFC 4180 quoting (no line breaks inside fields). */
    static List<String> fields(String line) throws BadRow {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int i = 0;
        int n = line.length();
        while (true) {
            field.setLength(0);
            if (i < n && line.charAt(i) == '"') {
                int start = i + 1;
                i++;
                while (true) {
                    if (i >= n) {
                        throw new BadRow("unterminated quote in field " + (fields.size() + 1)
                                + " starting at column " + start);
                    }
                    char c = line.charAt(i);
                    if (c == '"') {
                        if (i + 1 < n && line.charAt(i + 1) == '"') {
                            field.append('"');
                            i += 2;
                        } else {
                            i++;
                            break;
                        }
                    } else {
                        field.append(c);
                        i++;
                    }
                }
                if (i < n && line.charAt(i) != ',') {
                    throw new BadRow("text after the closing quote of field " + (fields.size() + 1)
                            + " at column " + (i + 1));
                }
            } else {
                while (i < n && line.charAt(i) != ',') {
                    char c = line.charAt(i);
                    if (c == '"') {
                        throw new BadRow("quote inside unquoted field " + (fields.size() + 1) + " at column " + (i + 1));
                    }
                    field.append(c);
                    i++;
                }
            }
            fields.add(field.toString());
            if (i >= n) {
                return fields;
            }
            i++; // the comma; a trailing comma makes one more, empty field
            if (i == n) {
                fields.add("");
                return fields;
            }
        }
    }

    private static String shorten(String text) {
        return text.length() <= MAX_SHOWN_TEXT ? text : text.substring(0, MAX_SHOWN_TEXT) + "...";
    }

    /** A row-level problem; only its message is kept. */
    static final class BadRow extends Exception {
        BadRow(String message) {
            super(message, null, false, false);
        }
    }
}
