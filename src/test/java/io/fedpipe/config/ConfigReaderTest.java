package io.fedpipe.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The typed reader: every problem of a hand-written file at once, each line naming file, line, key and expectation. */
class ConfigReaderTest {

    @TempDir
    Path dir;

    private static final Set<String> TOP = Set.of("name", "count", "ratio", "timeout", "sizes", "tags", "kind", "inner",
            "items");

    /** Reads every kind of value {@code r} offers; the values are what a caller would get back. */
    private static List<Object> readAll(ConfigReader r) {
        r.refuseUnknown(TOP);
        ConfigReader inner = r.child("inner", Set.of("depth"));
        List<ConfigReader> items = r.objects("items");
        List<Object> values = List.of(r.string("name"), r.atLeast("count", 3, 1), r.positive("ratio", 0.5),
                r.durationMs("timeout", 1000), r.positiveInts("sizes", List.of(1)), r.strings("tags"),
                r.oneOf("kind", List.of(Kind.values()), Kind::key, Kind.SMALL),
                inner.atLeast("depth", 0, 0), items.size());
        for (ConfigReader item : items) {
            item.refuseUnknown(Set.of("id"));
            item.atLeast("id", 0);
        }
        return values;
    }

    enum Kind {
        SMALL, LARGE;

        String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private ConfigProblems problems(String text) throws IOException {
        Path file = dir.resolve("bad.conf");
        Files.writeString(file, text);
        ConfigReader r = ConfigReader.forFile(ConfigReader.parseFile(file, "test file"), "bad.conf");
        readAll(r);
        return assertThrows(ConfigProblems.class, r::throwIfAny);
    }

    @Test
    void aGoodFileGivesItsValuesAndDefaults() {
        ConfigReader r = ConfigReader.forFile(ConfigReader.parseString("""
                name = " job "
                tags = "a, b,,c"
                ratio = 0.25
                sizes = [16, 4, 16]
                kind = LARGE
                items = [{ id = 1 }, { id = 2 }]
                """, "good.conf"), "good.conf");
        List<Object> values = readAll(r);
        r.throwIfAny();
        assertEquals(List.of("job", 3, 0.25, 1000L, List.of(4, 16), List.of("a", "b", "c"), Kind.LARGE, 0, 2), values);
    }

    @Test
    void everyBadKeyIsReportedAtOnceWithFileLineKeyAndExpectation() throws IOException {
        ConfigProblems e = problems("""
                count = 0
                ratio = -1
                timeout = soon
                sizes = [4, -8]
                tags = { a = 1 }
                kind = medium
                inner { depth = deep, width = 2 }
                items = [
                  { id = -1 }
                  { id = 2, colour = red }
                ]
                colour = blue
                """);
        assertEquals(List.of(
                "bad.conf:12: unknown key 'colour'; valid: count, inner, items, kind, name, ratio, sizes, tags, timeout",
                "bad.conf:7: unknown key 'inner.width'; valid: depth",
                "bad.conf:1: missing key 'name'",
                "bad.conf:1: key 'count' must be >= 1, got 0",
                "bad.conf:2: key 'ratio' must be a positive number, got -1",
                "bad.conf:3: key 'timeout' must be a duration such as 120s or 10m, got 'soon'",
                "bad.conf:4: key 'sizes' must be a non-empty list of positive integers, got [4, -8]",
                "bad.conf:5: key 'tags' must be a list of strings, got {a=1}",
                "bad.conf:6: key 'kind' must be one of small, large, got 'medium'",
                "bad.conf:7: key 'inner.depth' must be an integer >= 0, got 'deep'",
                "bad.conf:9: key 'items[0].id' must be >= 0, got -1",
                "bad.conf:10: unknown key 'items[1].colour'; valid: id"), e.lines());
        assertEquals(String.join("\n", e.lines()), e.getMessage());
    }

    @Test
    void aSyntaxErrorIsOneLineWithFileAndLine() throws IOException {
        Path file = dir.resolve("broken.conf");
        Files.writeString(file, "a = 1\nb = [unclosed\n");
        ConfigProblems e = assertThrows(ConfigProblems.class, () -> ConfigReader.parseFile(file, "test file"));
        assertTrue(e.getMessage().matches("broken\\.conf:\\d+: List should have .*"), e.getMessage());
        assertEquals(1, e.lines().size());
        assertThrows(NoSuchFileException.class, () -> ConfigReader.parseFile(dir.resolve("none.conf"), "test file"));
    }

    @Test
    void aValueFromAnIncludedFileIsReportedThere() throws IOException {
        Files.writeString(dir.resolve("common.conf"), "\ncount = -3\n");
        ConfigProblems e = problems("include \"common.conf\"\nname = x\ntags = [a]\nitems = []\n");
        assertEquals(List.of("common.conf:2: key 'count' must be >= 1, got -3"), e.lines());
    }

    @Test
    void settingsNameTheFullKeyWithoutALocation() {
        ConfigReader r = ConfigReader.forSettings(ConfigFactory.parseString(
                "a.port = 70000\na.host = \"\"\na.memory = lots\na.scale = 2\na.roles = \"x, y\""));
        assertEquals(0, r.port("a.port"));
        r.string("a.host");
        r.bytes("a.memory");
        r.positiveAtMost("a.scale", 1.0);
        assertEquals(List.of("x", "y"), r.strings("a.roles"));
        r.string("a.missing");
        ConfigProblems e = assertThrows(ConfigProblems.class, r::throwIfAny);
        assertEquals(List.of("a.port: must be a port number 0..65535, got 70000", "a.host: must not be empty",
                "a.memory: must be a size in bytes such as 4 GiB or 512 MiB, got 'lots'",
                "a.scale: must be in (0, 1.0], got 2", "a.missing: missing"), e.lines());
    }

    @Test
    void aKeyOfTheOtherSideIsRefusedWithItsReason() {
        ConfigReader r = ConfigReader.forFile(ConfigReader.parseString("a = 1\nnodes = []", "job.conf"), "job.conf");
        r.refuseUnknown(Set.of("a"), java.util.Map.of("nodes", "is only for experiment files"));
        ConfigProblems e = assertThrows(ConfigProblems.class, r::throwIfAny);
        assertEquals(List.of("job.conf:2: key 'nodes' is only for experiment files"), e.lines());
    }
}
