package io.fedpipe.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Expected ids were computed independently: BERT's basic tokenizer (lower case, strip accents,
 * split punctuation) plus greedy longest-match WordPiece, written in Python over the vocabulary of
 * the same tokenizer.json.
 */
class TextTokenizerMiniLmTest {

    private static final String FOX = "The quick brown fox jumps over the lazy dog.";
    private static final long[] FOX_IDS = {101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 1012, 102};

    private static TextTokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = TextTokenizer.miniLm(1024);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void helloWorldGivesBertUncasedWordPieceIds() {
        TextTokenizer.Encoded e = tokenizer.encode("Hello world");

        assertArrayEquals(new long[] {101, 7592, 2088, 102}, e.ids());
        assertArrayEquals(new long[] {1, 1, 1, 1}, e.attentionMask());
        assertArrayEquals(new long[] {0, 0, 0, 0}, e.typeIds());
        assertFalse(e.truncated());
    }

    @Test
    void knownSentencesIncludingSubwordsPunctuationAndAccents() {
        assertArrayEquals(FOX_IDS, tokenizer.encode(FOX).ids());
        assertArrayEquals(new long[] {101, 19204, 3989, 3475, 1005, 1056, 3733, 999, 102},
                tokenizer.encode("Tokenization isn't easy!").ids());
        assertArrayEquals(new long[] {101, 7668, 2139, 3900, 24728, 102}, tokenizer.encode("Café déjà vu").ids());
        assertEquals(30522, tokenizer.vocabularySize());
    }

    @Test
    void batchPadsToLongestWithPadIdAndMaskZero() {
        TextTokenizer.EncodedBatch batch = tokenizer.encodeBatch(List.of("Hello world", FOX));

        assertEquals(12, batch.length());
        assertEquals(0, tokenizer.padId());
        assertArrayEquals(new long[] {101, 7592, 2088, 102, 0, 0, 0, 0, 0, 0, 0, 0}, batch.rows().get(0).ids());
        assertArrayEquals(new long[] {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0}, batch.rows().get(0).attentionMask());
        assertEquals(4, batch.rows().get(0).realTokenCount());
        assertArrayEquals(FOX_IDS, batch.rows().get(1).ids());
        long[] flat = batch.flatIds();
        assertEquals(24, flat.length);
        assertEquals(102, flat[3]);
        assertEquals(0, flat[4]);
        assertEquals(101, flat[12]);
        assertEquals(24, batch.flatTypeIds().length);
    }

    @Test
    void batchPadsToRequestedLengthButNeverCuts() {
        TextTokenizer.EncodedBatch batch = tokenizer.encodeBatch(List.of("Hello world"), 16);
        assertEquals(16, batch.rows().get(0).length());
        assertEquals(4, batch.rows().get(0).realTokenCount());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tokenizer.encodeBatch(List.of("Hello world", FOX), 5));
        assertTrue(e.getMessage().contains("text 1 has 12 tokens, more than the requested batch length 5"),
                e.getMessage());
    }

    @Test
    void neitherTheFilesOwn128NorDjls512LimitCutsSilently() {
        String longText = "word ".repeat(600);

        assertEquals(602, tokenizer.encode(longText).length());
        assertEquals(0, tokenizer.truncatedCount());
    }

    @Test
    void rejectModeRefusesOverlongInputByIndexAndLength() throws IOException {
        try (TextTokenizer strict = TextTokenizer.miniLm(8)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> strict.encodeBatch(List.of("Hello world", FOX)));
            assertTrue(e.getMessage().contains("text 1 (\"The quick brown fox jumps over the lazy \u2026\") has 12"
                    + " tokens, more than maxLength 8; truncation is off"), e.getMessage());
            assertEquals(4, strict.encode("Hello world").length());
        }
    }

    @Test
    void truncateModeCutsKeepsSpecialTokensAndCounts() throws IOException {
        try (TextTokenizer cutting = TextTokenizer.miniLm(6, TextTokenizer.Overflow.TRUNCATE)) {
            TextTokenizer.EncodedBatch batch = cutting.encodeBatch(List.of("Hello world", FOX, FOX));

            assertArrayEquals(new long[] {101, 1996, 4248, 2829, 4419, 102}, batch.rows().get(1).ids());
            assertTrue(batch.rows().get(1).truncated());
            assertFalse(batch.rows().get(0).truncated());
            assertEquals(2, batch.truncatedCount());
            assertEquals(2, cutting.truncatedCount());
            assertTrue(cutting.encode(FOX).truncated());
            assertEquals(3, cutting.truncatedCount());
        }
        try (TextTokenizer longCut = TextTokenizer.miniLm(600, TextTokenizer.Overflow.TRUNCATE)) {
            // Above DJL's default cap of 512: the explicit limit is honoured.
            assertEquals(600, longCut.encode("word ".repeat(700)).length());
        }
    }

    @Test
    void decodeWithAndWithoutSpecialTokens() {
        // WordPiece decoding joins "##" pieces and its cleanup removes the space before '.', but
        // the text stays lower-cased: BERT uncased decoding is lossy by design.
        long[] ids = {101, 19204, 3989, 2003, 1037, 3899, 1012, 102};

        assertEquals("tokenization is a dog.", tokenizer.decode(ids, true));
        assertEquals("[CLS] tokenization is a dog. [SEP]", tokenizer.decode(ids));
        assertEquals("the quick brown fox jumps over the lazy dog.", tokenizer.decode(FOX_IDS, true));
    }

    @Test
    void fromFileLoadsTheSameTokenizer(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(TextTokenizer.MINILM_RESOURCE)) {
            Files.copy(in, file);
        }
        try (TextTokenizer fromFile = TextTokenizer.fromFile(file, 64)) {
            assertArrayEquals(FOX_IDS, fromFile.encode(FOX).ids());
            assertEquals(TextTokenizer.Overflow.REJECT, fromFile.overflow());
        }
    }

    @Test
    void badTokenizerFileIsNamed(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": ");

        IOException e = assertThrows(IOException.class, () -> TextTokenizer.fromFile(file, 64));

        assertTrue(e.getMessage().startsWith(file + ": not valid JSON"), e.getMessage());
    }
}
