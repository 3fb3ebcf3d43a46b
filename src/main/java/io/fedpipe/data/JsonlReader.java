package io.fedpipe.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads datasets from JSON Lines files: one JSON object per line, UTF-8.
 *
 * <ul>
 *   <li>Classification: {@code {"text": "...", "label": "sports"}}; the label may also be a JSON
 *       integer ({@code "label": 3}) and is then kept as the string {@code "3"}.</li>
 *   <li>Generation: {@code {"prompt": "...", "completion": "..."}}.</li>
 *   <li>Instructions, Alpaca style: {@code {"instruction": "...", "input": "...", "output": "..."}};
 *       {@code input} may be missing or empty. The prompt is {@link AlpacaPrompt}'s template, the
 *       completion the output.</li>
 *   <li>References for evaluation: {@code {"references": ["...", "..."]}}, at least one
 *       non-blank string per line.</li>
 * </ul>
 *
 * <p>Other fields are ignored. Field values are kept exactly as written (not trimmed).
 *
 * <p><b>Line policy.</b> Blank lines are ignored and counted. A line is malformed when it is not
 * one JSON object (bad syntax, trailing content, duplicate keys), or a required field is missing,
 * {@code null}, of the wrong type, or blank. Malformed lines are skipped and counted while their
 * share of non-blank lines stays within {@link LoadPolicy#maxBadFraction()}; above it the load
 * fails with a {@link DatasetFormatException} naming the source, the count and the first line
 * numbers with their problem. An empty source, a source with no valid record, and bytes that are
 * not UTF-8 always fail (a non-UTF-8 file is almost always wholly in another encoding, so
 * skipping its lines would silently lose or corrupt text).
 */
public final class JsonlReader {

    /** How many problems an exception message lists; the report keeps more. */
    private static final int PROBLEMS_IN_MESSAGE = 5;
    private static final int MAX_PROBLEM_LENGTH = 160;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private JsonlReader() {
    }

    public static LoadResult<ClassificationDataset> readClassification(Path file) throws IOException {
        return readClassification(file, LoadPolicy.DEFAULT);
    }

    /** Reads {@code {"text","label"}} lines; the vocabulary is the sorted distinct labels. */
    public static LoadResult<ClassificationDataset> readClassification(Path file, LoadPolicy policy)
            throws IOException {
        try (InputStream in = open(file)) {
            return readClassification(in, file.toString(), policy);
        }
    }

    /** As {@link #readClassification(Path, LoadPolicy)}, from a stream the caller owns. */
    public static LoadResult<ClassificationDataset> readClassification(InputStream in, String source,
                                                                       LoadPolicy policy) throws IOException {
        Parsed<ClassificationExample> parsed = read(in, source, policy, JsonlReader::classification);
        return new LoadResult<>(ClassificationDataset.of(parsed.records), parsed.report);
    }

    public static LoadResult<GenerationDataset> readGeneration(Path file) throws IOException {
        return readGeneration(file, LoadPolicy.DEFAULT);
    }

    /** Reads {@code {"prompt","completion"}} lines. */
    public static LoadResult<GenerationDataset> readGeneration(Path file, LoadPolicy policy) throws IOException {
        try (InputStream in = open(file)) {
            return readGeneration(in, file.toString(), policy);
        }
    }

    /** As {@link #readGeneration(Path, LoadPolicy)}, from a stream the caller owns. */
    public static LoadResult<GenerationDataset> readGeneration(InputStream in, String source, LoadPolicy policy)
            throws IOException {
        Parsed<GenerationExample> parsed = read(in, source, policy, JsonlReader::generation);
        return new LoadResult<>(GenerationDataset.of(parsed.records), parsed.report);
    }

    public static LoadResult<GenerationDataset> readAlpaca(Path file) throws IOException {
        return readAlpaca(file, LoadPolicy.DEFAULT);
    }

    /** Reads {@code {"instruction","input","output"}} lines into {@link AlpacaPrompt} examples. */
    public static LoadResult<GenerationDataset> readAlpaca(Path file, LoadPolicy policy) throws IOException {
        try (InputStream in = open(file)) {
            return readAlpaca(in, file.toString(), policy);
        }
    }

    /** As {@link #readAlpaca(Path, LoadPolicy)}, from a stream the caller owns. */
    public static LoadResult<GenerationDataset> readAlpaca(InputStream in, String source, LoadPolicy policy)
            throws IOException {
        Parsed<GenerationExample> parsed = read(in, source, policy, JsonlReader::alpaca);
        return new LoadResult<>(GenerationDataset.of(parsed.records), parsed.report);
    }

    /**
     * Reads {@code {"references": [...]}} lines: per line (one segment) its reference strings, in
     * order. Evaluation pairs segments with predictions by position, so use {@link LoadPolicy#STRICT}
     * there: a skipped line would shift every later segment.
     */
    public static LoadResult<List<List<String>>> readReferences(Path file, LoadPolicy policy) throws IOException {
        try (InputStream in = open(file)) {
            Parsed<List<String>> parsed = read(in, file.toString(), policy, JsonlReader::references);
            return new LoadResult<>(List.copyOf(parsed.records), parsed.report);
        }
    }

    private static InputStream open(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new DatasetFormatException(file + ": is a directory, expected a JSONL file");
        }
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "dataset file does not exist");
        }
        return Files.newInputStream(file);
    }

    private record Parsed<E>(List<E> records, LoadReport report) {
    }

    /** Turns one JSON object into a record, or says in a short phrase why it cannot. */
    @FunctionalInterface
    private interface RecordParser<E> {
        E parse(JsonNode object) throws BadLine;
    }

    /** A line-level problem; no stack trace, since it is expected and only its message is kept. */
    private static final class BadLine extends Exception {
        BadLine(String message) {
            super(message, null, false, false);
        }
    }

    private static <E> Parsed<E> read(InputStream in, String source, LoadPolicy policy, RecordParser<E> parser)
            throws IOException {
        Utf8LineReader lines = new Utf8LineReader(in, source);
        List<E> records = new ArrayList<>();
        List<LoadReport.LineProblem> problems = new ArrayList<>();
        long blank = 0;
        long bad = 0;
        for (String line = lines.next(); line != null; line = lines.next()) {
            if (line.isBlank()) {
                blank++;
                continue;
            }
            try {
                records.add(parser.parse(parseObject(line)));
            } catch (BadLine e) {
                bad++;
                if (problems.size() < policy.maxReportedProblems()) {
                    problems.add(new LoadReport.LineProblem(lines.lineNumber(), e.getMessage()));
                }
            }
        }
        LoadReport report = new LoadReport(source, lines.lineNumber(), blank, records.size(), bad, problems);
        check(report, policy);
        return new Parsed<>(records, report);
    }

    private static void check(LoadReport report, LoadPolicy policy) throws DatasetFormatException {
        String source = report.source();
        if (report.lines() == 0) {
            throw new DatasetFormatException(source + ": file is empty, expected one JSON object per line", report);
        }
        if (report.records() == 0 && report.badLines() == 0) {
            throw new DatasetFormatException(source + ": no records, only " + report.blankLines() + " blank lines",
                    report);
        }
        if (report.records() == 0 || report.badFraction() > policy.maxBadFraction()) {
            throw new DatasetFormatException(String.format(Locale.ROOT,
                    "%s: %d of %d non-blank lines are malformed (%.2f%%, allowed %.2f%%); first problems: %s",
                    source, report.badLines(), report.records() + report.badLines(), 100 * report.badFraction(),
                    100 * policy.maxBadFraction(), report.firstProblems(PROBLEMS_IN_MESSAGE)), report);
        }
    }

    private static JsonNode parseObject(String line) throws BadLine {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new BadLine("invalid JSON: " + shorten(e.getOriginalMessage()));
        }
        if (node == null || !node.isObject()) {
            throw new BadLine("expected a JSON object, got " + (node == null ? "nothing" : describe(node)));
        }
        return node;
    }

    private static ClassificationExample classification(JsonNode object) throws BadLine {
        String text = requiredString(object, "text");
        JsonNode label = object.get("label");
        if (label == null) {
            throw new BadLine("missing field \"label\"");
        }
        String labelText;
        if (label.isTextual()) {
            labelText = label.textValue();
        } else if (label.isIntegralNumber()) {
            labelText = label.bigIntegerValue().toString();
        } else {
            throw new BadLine("field \"label\" must be a string or an integer, got " + describe(label));
        }
        if (labelText.isBlank()) {
            throw new BadLine("field \"label\" is blank");
        }
        return new ClassificationExample(text, labelText);
    }

    private static GenerationExample generation(JsonNode object) throws BadLine {
        return new GenerationExample(requiredString(object, "prompt"), requiredString(object, "completion"));
    }

    private static GenerationExample alpaca(JsonNode object) throws BadLine {
        String instruction = requiredString(object, "instruction");
        JsonNode input = object.get("input");
        if (input != null && !input.isTextual()) {
            throw new BadLine("field \"input\" must be a string, got " + describe(input));
        }
        return AlpacaPrompt.example(instruction, input == null ? null : input.textValue(),
                requiredString(object, "output"));
    }

    private static List<String> references(JsonNode object) throws BadLine {
        JsonNode value = object.get("references");
        if (value == null) {
            throw new BadLine("missing field \"references\"");
        }
        if (!value.isArray()) {
            throw new BadLine("field \"references\" must be an array of strings, got " + describe(value));
        }
        if (value.isEmpty()) {
            throw new BadLine("field \"references\" is an empty array");
        }
        List<String> references = new ArrayList<>(value.size());
        for (int i = 0; i < value.size(); i++) {
            JsonNode reference = value.get(i);
            if (!reference.isTextual()) {
                throw new BadLine("references[" + i + "] must be a string, got " + describe(reference));
            }
            if (reference.textValue().isBlank()) {
                throw new BadLine("references[" + i + "] is blank");
            }
            references.add(reference.textValue());
        }
        return references;
    }

    private static String requiredString(JsonNode object, String field) throws BadLine {
        JsonNode value = object.get(field);
        if (value == null) {
            throw new BadLine("missing field \"" + field + "\"");
        }
        if (!value.isTextual()) {
            throw new BadLine("field \"" + field + "\" must be a string, got " + describe(value));
        }
        if (value.textValue().isBlank()) {
            throw new BadLine("field \"" + field + "\" is blank");
        }
        return value.textValue();
    }

    private static String describe(JsonNode node) {
        if (node.isNull()) {
            return "null";
        }
        String type = node.getNodeType().name().toLowerCase(Locale.ROOT);
        return node.isValueNode() ? type + " " + shorten(node.toString()) : type;
    }

    private static String shorten(String message) {
        String firstLine = message == null ? "" : message.lines().findFirst().orElse("");
        return firstLine.length() <= MAX_PROBLEM_LENGTH ? firstLine : firstLine.substring(0, MAX_PROBLEM_LENGTH) + "...";
    }
}
