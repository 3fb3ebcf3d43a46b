package io.fedpipe.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.function.Function;

/**
 * Writes datasets as JSON Lines in the form {@link JsonlReader} reads: UTF-8, one object per
 * line, each line ending in {@code \n}, labels written as strings.
 *
 * <p>The file is written next to its target and moved into place, so a reader never sees a
 * half-written dataset and a failed write leaves the previous file intact.
 */
public final class JsonlWriter {

    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private JsonlWriter() {
    }

    public static void writeClassification(Path file, List<ClassificationExample> examples) throws IOException {
        write(file, examples, JsonlWriter::toLine);
    }

    public static void writeGeneration(Path file, List<GenerationExample> examples) throws IOException {
        write(file, examples, JsonlWriter::toLine);
    }

    /** One JSON line (without terminator) for an example: the exact form the files hold. */
    public static String toLine(ClassificationExample example) {
        return serialize(JSON.createObjectNode()
                .put("text", example.text())
                .put("label", example.label()));
    }

    /** One JSON line (without terminator) for an example: the exact form the files hold. */
    public static String toLine(GenerationExample example) {
        return serialize(JSON.createObjectNode()
                .put("prompt", example.prompt())
                .put("completion", example.completion()));
    }

    private static <E> void write(Path file, List<E> examples, Function<E, String> toLine) throws IOException {
        Path absolute = file.toAbsolutePath();
        Path directory = absolute.getParent();
        Files.createDirectories(directory);
        Path temporary = Files.createTempFile(directory, "." + absolute.getFileName(), ".tmp");
        try {
            try (BufferedWriter out = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
                for (E example : examples) {
                    out.write(toLine.apply(example));
                    out.write('\n');
                }
            }
            moveIntoPlace(temporary, absolute);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static void moveIntoPlace(Path temporary, Path target) throws IOException {
        try {
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String serialize(ObjectNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            // A tree of strings always serializes; reaching here is a Jackson bug, not bad input.
            throw new UncheckedIOException(e);
        }
    }
}
