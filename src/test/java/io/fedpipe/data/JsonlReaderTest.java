package io.fedpipe.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlReaderTest {

    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void readsStringAndIntegerLabelsAndCountsBlankLines() throws IOException {
        Path file = write("good.jsonl", "\uFEFF{\"text\":\"rain again\",\"label\":\"weather\"}\r\n"
                + "\n"
                + "{\"text\":\"goal!\",\"label\":\"sports\",\"id\":17}\n"
                + "   \n"
                + "{\"label\":3,\"text\":\"third\"}");

        LoadResult<ClassificationDataset> result = JsonlReader.readClassification(file);

        ClassificationDataset data = result.dataset();
        assertEquals(3, data.size());
        assertEquals(new ClassificationExample("rain again", "weather"), data.get(0));
        assertEquals(new ClassificationExample("third", "3"), data.get(2));
        assertEquals(List.of("3", "sports", "weather"), data.labels());
        assertEquals(2, data.labelIndex("weather"));
        assertEquals(0, data.labelIndexAt(2));
        LoadReport report = result.report();
        assertEquals(5, report.lines());
        assertEquals(2, report.blankLines());
        assertEquals(3, report.records());
        assertEquals(0, report.badLines());
        assertFalse(report.hasProblems());
    }

    @Test
    void skipsBadLinesWithinThresholdAndReportsThemByLine() throws IOException {
        StringBuilder content = new StringBuilder();
        for (int i = 1; i <= 250; i++) {
            content.append(i == 120 ? "{\"text\":\"no label here\"}" : JsonlWriter.toLine(
                    new ClassificationExample("example " + i, i % 2 == 0 ? "even" : "odd"))).append('\n');
        }
        Path file = write("one-bad.jsonl", content.toString());

        LoadResult<ClassificationDataset> result = JsonlReader.readClassification(file);

        assertEquals(249, result.dataset().size());
        LoadReport report = result.report();
        assertEquals(1, report.badLines());
        assertEquals(1.0 / 250, report.badFraction(), 1e-15);
        assertEquals(List.of(new LoadReport.LineProblem(120, "missing field \"label\"")), report.problems());
        assertTrue(report.summary().contains("line 120: missing field \"label\""), report.summary());
        assertEquals("example 121", result.dataset().get(119).text());
    }

    @Test
    void failsWhenBadLinesExceedThresholdNamingFileCountAndLines() throws IOException {
        StringBuilder content = new StringBuilder();
        for (int i = 1; i <= 12; i++) {
            String line = switch (i) {
                case 3 -> "{\"text\": \"unterminated";
                case 7 -> "{\"text\":\"x\",\"label\":true}";
                default -> "{\"text\":\"t" + i + "\",\"label\":\"a\"}";
            };
            content.append(line).append('\n');
        }
        Path file = write("mostly-good.jsonl", content.toString());

        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> JsonlReader.readClassification(file));

        String message = e.getMessage();
        assertTrue(message.startsWith(file.toString() + ": 2 of 12 non-blank lines are malformed (16.67%, allowed 1.00%)"),
                message);
        assertTrue(message.contains("line 3: invalid JSON"), message);
        assertTrue(message.contains("line 7: field \"label\" must be a string or an integer, got boolean true"), message);
        assertEquals(2, e.report().orElseThrow().badLines());
        assertEquals(10, e.report().orElseThrow().records());
    }

    @Test
    void namesEachKindOfMalformedLine() throws IOException {
        List<String> lines = List.of(
                "{\"text\":\"fine\",\"label\":\"a\"}",
                "[1, 2]",
                "\"just a string\"",
                "{\"label\":\"a\"}",
                "{\"text\":null,\"label\":\"a\"}",
                "{\"text\":42,\"label\":\"a\"}",
                "{\"text\":\"   \",\"label\":\"a\"}",
                "{\"text\":\"x\",\"label\":1.5}",
                "{\"text\":\"x\",\"label\":\"\"}",
                "{\"text\":\"x\",\"text\":\"y\",\"label\":\"a\"}",
                "{\"text\":\"x\",\"label\":\"a\"} {\"text\":\"y\"}",
                "{\"text\":\"x\",\"label\":{\"name\":\"a\"}}");
        Path file = write("zoo.jsonl", String.join("\n", lines) + "\n");

        LoadReport report = JsonlReader.readClassification(file, new LoadPolicy(1.0, 50)).report();

        assertEquals(1, report.records());
        assertEquals(11, report.badLines());
        List<String> problems = new ArrayList<>();
        for (LoadReport.LineProblem problem : report.problems()) {
            problems.add(problem.toString());
        }
        assertEquals("line 2: expected a JSON object, got array", problems.get(0));
        assertEquals("line 3: expected a JSON object, got string \"just a string\"", problems.get(1));
        assertEquals("line 4: missing field \"text\"", problems.get(2));
        assertEquals("line 5: field \"text\" must be a string, got null", problems.get(3));
        assertEquals("line 6: field \"text\" must be a string, got number 42", problems.get(4));
        assertEquals("line 7: field \"text\" is blank", problems.get(5));
        assertEquals("line 8: field \"label\" must be a string or an integer, got number 1.5", problems.get(6));
        assertEquals("line 9: field \"label\" is blank", problems.get(7));
        assertTrue(problems.get(8).startsWith("line 10: invalid JSON: Duplicate field 'text'"), problems.get(8));
        assertTrue(problems.get(9).startsWith("line 11: invalid JSON: Trailing token"), problems.get(9));
        assertEquals("line 12: field \"label\" must be a string or an integer, got object", problems.get(10));
    }

    @Test
    void keepsExactCountWhenListingOnlyFirstProblems() throws IOException {
        Path file = write("many-bad.jsonl", "{\"text\":\"ok\",\"label\":\"a\"}\nx\ny\nz\n");

        LoadReport report = JsonlReader.readClassification(file, new LoadPolicy(1.0, 2)).report();

        assertEquals(3, report.badLines());
        assertEquals(List.of(2L, 3L), report.problems().stream().map(LoadReport.LineProblem::line).toList());
        assertTrue(report.firstProblems(5).endsWith("; ..."), report.firstProblems(5));
    }

    @Test
    void strictPolicyRejectsASingleBadLine() throws IOException {
        StringBuilder content = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            content.append(i == 999 ? "{" : "{\"text\":\"t\",\"label\":\"a\"}").append('\n');
        }
        Path file = write("strict.jsonl", content.toString());

        assertEquals(999, JsonlReader.readClassification(file).dataset().size());
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> JsonlReader.readClassification(file, LoadPolicy.STRICT));
        assertTrue(e.getMessage().contains("1 of 1000 non-blank lines"), e.getMessage());
        assertTrue(e.getMessage().contains("line 1000: invalid JSON"), e.getMessage());
    }

    @Test
    void emptyAndBlankOnlyFilesFailClearly() throws IOException {
        Path empty = write("empty.jsonl", "");
        Path blank = write("blank.jsonl", "\n  \n\t\n");

        DatasetFormatException emptyError = assertThrows(DatasetFormatException.class,
                () -> JsonlReader.readClassification(empty));
        DatasetFormatException blankError = assertThrows(DatasetFormatException.class,
                () -> JsonlReader.readGeneration(blank));

        assertEquals(empty + ": file is empty, expected one JSON object per line", emptyError.getMessage());
        assertEquals(blank + ": no records, only 3 blank lines", blankError.getMessage());
    }

    @Test
    void allLinesBadFailsEvenWithTolerantPolicy() throws IOException {
        Path file = write("wrong-format.jsonl", "{\"prompt\":\"p\",\"completion\":\"c\"}\n");

        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> JsonlReader.readClassification(file, new LoadPolicy(1.0, 5)));

        assertTrue(e.getMessage().contains("1 of 1 non-blank lines are malformed"), e.getMessage());
        assertTrue(e.getMessage().contains("line 1: missing field \"text\""), e.getMessage());
    }

    @Test
    void invalidUtf8NamesLineAndByte() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes("{\"text\":\"ok\",\"label\":\"a\"}\n".getBytes(StandardCharsets.UTF_8));
        bytes.writeBytes("{\"text\":\"caf".getBytes(StandardCharsets.US_ASCII));
        bytes.write(0xE9);
        bytes.writeBytes("\",\"label\":\"a\"}\n".getBytes(StandardCharsets.US_ASCII));
        Path file = dir.resolve("latin1.jsonl");
        Files.write(file, bytes.toByteArray());

        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> JsonlReader.readClassification(file));

        assertEquals(file + ": line 2 is not valid UTF-8 (byte 13 of the line, 0xE9); datasets must be UTF-8"
                + " encoded: convert the file, e.g. with iconv", e.getMessage());
    }

    @Test
    void missingFileNamesThePath() {
        Path missing = dir.resolve("nope.jsonl");

        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> JsonlReader.readClassification(missing));

        assertEquals(missing + ": dataset file does not exist", e.getMessage());
    }

    @Test
    void writerRoundTripsUnicodeQuotesAndNewlines() throws IOException {
        List<ClassificationExample> classification = List.of(
                new ClassificationExample("Café ☕ 日本語 \"quoted\"\nsecond line\ttab", "ünïcode"),
                new ClassificationExample("emoji 🚀 outside the BMP", "3"));
        List<GenerationExample> generation = List.of(
                new GenerationExample("name[Aromi], food[Chinese]", "Aromi serves Chinese food."),
                new GenerationExample("back\\slash", "line\r\nbreak"));
        Path classificationFile = dir.resolve("sub/c.jsonl");
        Path generationFile = dir.resolve("g.jsonl");

        JsonlWriter.writeClassification(classificationFile, classification);
        JsonlWriter.writeGeneration(generationFile, generation);

        assertEquals(classification, JsonlReader.readClassification(classificationFile, LoadPolicy.STRICT)
                .dataset().examples());
        LoadResult<GenerationDataset> readBack = JsonlReader.readGeneration(generationFile, LoadPolicy.STRICT);
        assertEquals(generation, readBack.dataset().examples());
        assertEquals(2, readBack.report().lines());
        assertEquals(2, Files.readAllLines(generationFile).size());
        try (var listing = Files.list(dir)) {
            assertEquals(0, listing.filter(p -> p.getFileName().toString().endsWith(".tmp")).count());
        }
    }

    @Test
    void generationLinesNeedBothFields() throws IOException {
        Path file = write("gen.jsonl", "{\"prompt\":\"p1\",\"completion\":\"c1\"}\n{\"prompt\":\"p2\"}\n");

        LoadResult<GenerationDataset> result = JsonlReader.readGeneration(file, new LoadPolicy(0.5, 5));

        assertEquals(List.of(new GenerationExample("p1", "c1")), result.dataset().examples());
        assertEquals("line 2: missing field \"completion\"", result.report().problems().get(0).toString());
    }
}
