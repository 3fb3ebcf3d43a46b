package io.fedpipe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The package rules that keep the config reader a leaf and the cluster independent of the simulator. */
class PackageImportsTest {

    private static final Path MAIN = Path.of("src/main/java/io/fedpipe");

    /** Every import of the sources under {@code dir} that {@code allowed} refuses, as "File.java: import". */
    private static List<String> imports(String dir, Predicate<String> allowed) throws IOException {
        try (Stream<Path> files = Files.walk(MAIN.resolve(dir))) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().flatMap(f -> {
                try {
                    return Files.readAllLines(f).stream().filter(l -> l.startsWith("import "))
                            .map(l -> l.substring("import ".length()).replace("static ", ""))
                            .filter(allowed.negate()).map(i -> f.getFileName() + ": " + i);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    @Test
    void theConfigReaderImportsOnlyTypesafeConfigAndTheJdk() throws IOException {
        assertEquals(List.of(), imports("config", i -> i.startsWith("com.typesafe.config.") || i.startsWith("java.")));
    }

    @Test
    void theClusterAndTheJobDoNotImportTheSimulator() throws IOException {
        assertEquals(List.of(), imports("cluster", i -> !i.startsWith("io.fedpipe.simulation.")));
        assertEquals(List.of(), imports("job", i -> !i.startsWith("io.fedpipe.simulation.")
                && !i.startsWith("io.fedpipe.cluster.")));
    }
}
