package io.fedpipe.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits a byte stream into lines and decodes each strictly as UTF-8.
 *
 * <p>Decoding line by line (instead of through a {@code Reader}) is what lets an encoding error
 * name its line and byte. Lines end at {@code \n}; a trailing {@code \r} is removed (CRLF files);
 * a UTF-8 byte-order mark at the very start is dropped, as editors on Windows write one. A line
 * over {@value #MAX_LINE_BYTES} bytes fails the read instead of exhausting memory.
 */
final class Utf8LineReader {

    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    /** Longer than any sane example; hitting it means a binary or single-line file, not JSONL. */
    static final int MAX_LINE_BYTES = 64 << 20;

    private final InputStream in;
    private final String source;
    private final int maxLineBytes;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] chunk = new byte[1 << 16];
    private int chunkLength;
    private int chunkPosition;
    private byte[] line = new byte[256];
    private long lineNumber;
    private boolean endOfStream;

    Utf8LineReader(InputStream in, String source) {
        this(in, source, MAX_LINE_BYTES);
    }

    Utf8LineReader(InputStream in, String source, int maxLineBytes) {
        this.in = in;
        this.source = source;
        this.maxLineBytes = maxLineBytes;
    }

    /** 1-based number of the line last returned by {@link #next()}. */
    long lineNumber() {
        return lineNumber;
    }

    /** The next line without its terminator, or {@code null} at the end of the stream. */
    String next() throws IOException {
        int length = 0;
        boolean sawAnyByte = false;
        while (true) {
            if (chunkPosition == chunkLength) {
                if (endOfStream || !fill()) {
                    if (!sawAnyByte) {
                        return null;
                    }
                    break;
                }
            }
            sawAnyByte = true;
            byte b = chunk[chunkPosition++];
            if (b == '\n') {
                break;
            }
            if (length == maxLineBytes) {
                throw new DatasetFormatException(source + ": line " + (lineNumber + 1) + " is longer than "
                        + maxLineBytes + " bytes; expected one JSON object per line");
            }
            if (length == line.length) {
                line = Arrays.copyOf(line, Math.min(length * 2, maxLineBytes));
            }
            line[length++] = b;
        }
        lineNumber++;
        int start = lineNumber == 1 && startsWithBom(length) ? BOM.length : 0;
        if (length > start && line[length - 1] == '\r') {
            length--;
        }
        return decode(start, length);
    }

    private boolean fill() throws IOException {
        int n = in.read(chunk);
        if (n <= 0) {
            endOfStream = true;
            return false;
        }
        chunkLength = n;
        chunkPosition = 0;
        return true;
    }

    private boolean startsWithBom(int length) {
        return length >= BOM.length && line[0] == BOM[0] && line[1] == BOM[1] && line[2] == BOM[2];
    }

    private String decode(int start, int end) throws DatasetFormatException {
        ByteBuffer bytes = ByteBuffer.wrap(line, start, end - start);
        CharBuffer chars = CharBuffer.allocate(end - start);
        decoder.reset();
        CoderResult result = decoder.decode(bytes, chars, true);
        if (!result.isError()) {
            result = decoder.flush(chars);
        }
        if (result.isError()) {
            int at = Math.min(bytes.position(), end - 1);
            throw new DatasetFormatException(source + ": line " + lineNumber + " is not valid UTF-8 (byte "
                    + (at - start + 1) + " of the line, 0x"
                    + String.format("%02X", line[at] & 0xFF)
                    + "); datasets must be UTF-8 encoded: convert the file, e.g. with iconv");
        }
        chars.flip();
        return chars.toString();
    }
}
