package io.fedpipe.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8LineReaderTest {

    private static Utf8LineReader reader(String content, int maxLineBytes) {
        return new Utf8LineReader(new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), "mem",
                maxLineBytes);
    }

    @Test
    void splitsOnNewlineStripsCarriageReturnAndKeepsLastLineWithoutTerminator() throws IOException {
        Utf8LineReader lines = reader("a\r\n\nñ€😀\nlast", 1 << 20);

        assertEquals("a", lines.next());
        assertEquals("", lines.next());
        assertEquals("ñ€😀", lines.next());
        assertEquals("last", lines.next());
        assertEquals(4, lines.lineNumber());
        assertNull(lines.next());
    }

    @Test
    void overlongLineFailsWithItsNumber() throws IOException {
        Utf8LineReader lines = reader("short\n" + "x".repeat(5000) + "\n", 1024);

        assertEquals("short", lines.next());
        DatasetFormatException e = assertThrows(DatasetFormatException.class, lines::next);
        assertEquals("mem: line 2 is longer than 1024 bytes; expected one JSON object per line", e.getMessage());
    }
}
