package io.fedpipe.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built tokenizer.json, run by the Hugging Face tokenizers library, must agree with jtokkit's r50k_base. */
class Gpt2TokenizerBuilderTest {

    private static final Encoding JTOKKIT = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);

    @TempDir
    static Path dir;

    private static Path tokenizerJson;
    private static TextTokenizer gpt2;

    @BeforeAll
    static void build() throws IOException {
        tokenizerJson = dir.resolve("gpt2/tokenizer.json");
        Gpt2TokenizerBuilder.build(tokenizerJson);
        gpt2 = TextTokenizer.fromFile(tokenizerJson, 4096);
    }

    @AfterAll
    static void close() {
        gpt2.close();
    }

    @Test
    void helloWorld() {
        assertArrayEquals(new long[] {15496, 995}, gpt2.encode("Hello world").ids());
        assertEquals("Hello world", gpt2.decode(new long[] {15496, 995}));
    }

    @Test
    void fileHasGpt2Structure() throws IOException {
        JsonNode root = new ObjectMapper().readTree(tokenizerJson.toFile());
        JsonNode model = root.get("model");

        assertEquals("BPE", model.get("type").asText());
        assertEquals(50257, model.get("vocab").size());
        assertEquals(50256, model.get("vocab").get("<|endoftext|>").intValue());
        assertEquals(15496, model.get("vocab").get("Hello").intValue());
        assertEquals(995, model.get("vocab").get("\u0120world").intValue());
        // 50256 ranks, of which 256 are single bytes: one merge for each other token.
        assertEquals(50000, model.get("merges").size());
        List<String> firstMerges = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            firstMerges.add(model.get("merges").get(i).asText());
        }
        // GPT-2's merges.txt begins with these (ranks 256..262: "Ġt", "Ġa", "he", "in", "re", "on", "Ġthe").
        assertEquals(List.of("\u0120 t", "\u0120 a", "h e", "i n", "r e", "o n", "\u0120t he"), firstMerges);
        JsonNode added = root.get("added_tokens").get(0);
        assertEquals(50256, added.get("id").intValue());
        assertEquals("<|endoftext|>", added.get("content").asText());
        assertTrue(added.get("special").asBoolean());
        assertEquals("ByteLevel", root.get("pre_tokenizer").get("type").asText());
        assertFalse(root.get("pre_tokenizer").get("add_prefix_space").asBoolean());
        assertEquals("ByteLevel", root.get("decoder").get("type").asText());
        assertEquals(50257, gpt2.vocabularySize());
        assertEquals(50256, gpt2.padId());
    }

    @Test
    void byteToUnicodeTable() {
        char[] table = Gpt2TokenizerBuilder.byteToUnicode();

        assertEquals('\u0120', table[' ']);
        assertEquals('\u010A', table['\n']);
        assertEquals('\u0100', table[0]);
        assertEquals('!', table['!']);
        assertEquals('\u00FF', table[0xFF]);
        // 0xAD (soft hyphen) is the last non-printable byte: 33 controls+space, 34 of 0x7F..0xA0, then it.
        assertEquals((char) (256 + 67), table[0xAD]);
        assertEquals(256, new String(table).chars().distinct().count());
    }

    @Test
    void agreesWithJtokkitOnVariedText() {
        List<String> texts = List.of(
                "Hello world",
                " leading space and  double  spaces",
                "Numbers: 3.14159, 2024-06-01, 1,000,000 and 007",
                "Line one\nLine two\n\n\tTabbed\r\nCRLF",
                "It's they're we've I'm you'll he'd",
                "Unicode: café naïve Ωmega 東京 こんにちは 🙂👍🏽",
                "trailing spaces   ",
                "   ",
                "x",
                "",
                "def f(x):\n    return x**2  # square\n",
                "SHOUTING!!! ??? ... ---",
                "https://example.com/path?q=1&r=two#frag");
        for (String text : texts) {
            long[] ours = gpt2.encode(text).ids();
            assertArrayEquals(jtokkit(text), ours, "ids of \"" + text + "\"");
            assertEquals(text, gpt2.decode(ours), "decode of \"" + text + "\"");
        }
    }

    @Test
    void agreesWithJtokkitOnSeededRandomText() {
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n\t.,;:'\"!?-_()[]{}"
                + "éüßøłżçñ€£¥•–—…«»東京語日本中文한국어😀🚀";
        int[] codePoints = alphabet.codePoints().toArray();
        Random random = new Random(2024);
        for (int i = 0; i < 200; i++) {
            StringBuilder sb = new StringBuilder();
            int length = 1 + random.nextInt(60);
            for (int j = 0; j < length; j++) {
                sb.appendCodePoint(codePoints[random.nextInt(codePoints.length)]);
            }
            String text = sb.toString();
            long[] ours = gpt2.encode(text).ids();
            assertArrayEquals(jtokkit(text), ours, "ids of \"" + text + "\"");
            assertEquals(text, gpt2.decode(ours), "decode of \"" + text + "\"");
        }
    }

    @Test
    void endOfTextIsOneSpecialToken() {
        long[] ids = gpt2.encode("Hi<|endoftext|>there").ids();

        long[] expected = concat(jtokkit("Hi"), new long[] {50256}, jtokkit("there"));
        assertArrayEquals(expected, ids);
        assertEquals("Hi<|endoftext|>there", gpt2.decode(ids));
        assertEquals("Hithere", gpt2.decode(ids, true));
    }

    @Test
    void gpt2ConvenienceFactoryBuildsInMemory() throws IOException {
        try (TextTokenizer inMemory = TextTokenizer.gpt2(8, TextTokenizer.Overflow.TRUNCATE)) {
            TextTokenizer.Encoded e = inMemory.encode("one two three four five six seven eight nine ten");
            assertArrayEquals(Arrays.copyOf(jtokkit("one two three four five six seven eight nine ten"), 8), e.ids());
            assertTrue(e.truncated());
        }
    }

    @Test
    void malformedRanksFileIsReportedByLine() {
        byte[] bad = "IQ== 0\nnot-a-rank-line\n".getBytes(StandardCharsets.US_ASCII);

        IOException e = assertThrows(IOException.class,
                () -> Gpt2TokenizerBuilder.parseRanks(new ByteArrayInputStream(bad)));

        assertTrue(e.getMessage().startsWith(Gpt2TokenizerBuilder.RANKS_RESOURCE + " line 2: expected"),
                e.getMessage());
    }

    private static long[] jtokkit(String text) {
        return Arrays.stream(JTOKKIT.encodeOrdinary(text).toArray()).asLongStream().toArray();
    }

    private static long[] concat(long[]... parts) {
        return Arrays.stream(parts).flatMapToLong(Arrays::stream).toArray();
    }
}
