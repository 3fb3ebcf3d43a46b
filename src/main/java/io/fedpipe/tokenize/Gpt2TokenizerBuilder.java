package io.fedpipe.tokenize;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds GPT-2's Hugging Face {@code tokenizer.json} from the BPE ranks that ship inside jtokkit
 * ({@code com/knuddels/jtokkit/r50k_base.tiktoken}), so FedPipe needs no download to tokenize
 * for GPT-2.
 *
 * <p>The ranks file lists each token's bytes (base64) with its rank, and GPT-2's token ids are
 * exactly these ranks (0..50255), with {@code <|endoftext|>} = 50256 added as a special token.
 * A Hugging Face BPE model also needs the merge list. It is recovered from the ranks: a token of
 * rank r was created by merging the two parts that byte-level BPE leaves when run on the token's
 * own bytes using only ranks below r (the method tiktoken's authors use to check their ranks
 * against GPT-2's {@code merges.txt}). Token strings use GPT-2's byte-to-unicode table, which
 * maps every byte to a printable character ({@link #byteToUnicode()}).
 *
 * <p>Pre-tokenizer and decoder are ByteLevel with {@code add_prefix_space = false}, as GPT-2's own
 * tokenizer; its splitting regex is the one r50k_base uses.
 */
public final class Gpt2TokenizerBuilder {

    public static final String RANKS_RESOURCE = "com/knuddels/jtokkit/r50k_base.tiktoken";
    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final int END_OF_TEXT_ID = 50256;
    /** Ranks 0..50255 plus {@code <|endoftext|>}. */
    public static final int VOCABULARY_SIZE = 50257;

    private Gpt2TokenizerBuilder() {}

    /** Writes GPT-2's {@code tokenizer.json} to {@code outTokenizerJson}. */
    public static void build(Path outTokenizerJson) throws IOException {
        Path parent = outTokenizerJson.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        try (OutputStream out = Files.newOutputStream(outTokenizerJson)) {
            write(loadRanks(), out);
        }
    }

    /** GPT-2's {@code tokenizer.json} as UTF-8 bytes. */
    public static byte[] tokenizerJson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(3 << 20);
        try {
            write(loadRanks(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * GPT-2's BPE cut after its first {@code merges} merges: the 256 byte tokens, the tokens of
     * ranks 256 .. 255 + merges, and {@code <|endoftext|>} as id 256 + merges. Every merge GPT-2
     * learned builds a token from two tokens of lower rank, so the first N merges are a complete
     * BPE of their own: it tokenizes any text (bytes are always there) exactly as GPT-2 would with
     * training stopped after N merges. A vocabulary of 8,193 instead of 50,257 keeps the embedding
     * and softmax of a small model small.
     */
    public static byte[] truncatedTokenizerJson(int merges) {
        if (merges < 0 || merges > END_OF_TEXT_ID - 256) {
            throw new IllegalArgumentException("merges must be in 0.." + (END_OF_TEXT_ID - 256) + ", got " + merges);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
        try {
            write(loadRanks().subList(0, 256 + merges), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * GPT-2's table from bytes to characters: printable Latin-1 bytes map to themselves, the other
     * 68 bytes (controls, space, 0x7F-0xA0, 0xAD) to U+0100 onwards in byte order, so that every
     * token is a string of visible characters and a space shows as 'Ġ' (U+0120).
     */
    public static char[] byteToUnicode() {
        char[] table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = (char) (printable ? b : next++);
        }
        return table;
    }

    /** Token strings (through {@link #byteToUnicode()}) indexed by rank. */
    static List<String> loadRanks() throws IOException {
        ClassLoader loader = Gpt2TokenizerBuilder.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(RANKS_RESOURCE)) {
            if (in == null) {
                throw new IOException("classpath resource " + RANKS_RESOURCE + " not found (is jtokkit on the"
                        + " classpath?)");
            }
            return parseRanks(in);
        }
    }

    static List<String> parseRanks(InputStream in) throws IOException {
        char[] table = byteToUnicode();
        Map<Integer, String> byRank = new HashMap<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
        int lineNumber = 0;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            String where = RANKS_RESOURCE + " line " + lineNumber;
            int space = line.indexOf(' ');
            if (space < 0) {
                throw new IOException(where + ": expected 'base64 rank', got '" + line + "'");
            }
            byte[] bytes;
            int rank;
            try {
                bytes = Base64.getDecoder().decode(line.substring(0, space));
                rank = Integer.parseInt(line.substring(space + 1).trim());
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": " + e.getMessage(), e);
            }
            StringBuilder token = new StringBuilder(bytes.length);
            for (byte b : bytes) {
                token.append(table[b & 0xff]);
            }
            if (byRank.put(rank, token.toString()) != null) {
                throw new IOException(where + ": rank " + rank + " appears twice");
            }
        }
        List<String> tokens = new ArrayList<>(byRank.size());
        for (int rank = 0; rank < byRank.size(); rank++) {
            String token = byRank.get(rank);
            if (token == null) {
                throw new IOException(RANKS_RESOURCE + ": ranks are not 0.." + (byRank.size() - 1) + "; " + rank
                        + " is missing");
            }
            tokens.add(token);
        }
        if (tokens.size() != END_OF_TEXT_ID) {
            throw new IOException(RANKS_RESOURCE + ": expected " + END_OF_TEXT_ID + " ranks for GPT-2, found "
                    + tokens.size());
        }
        return tokens;
    }

    /**
     * The merge that created each multi-byte token, in rank order: "left right", the two parts
     * byte-level BPE leaves on the token's bytes when only lower ranks may merge.
     */
    static List<String> recoverMerges(List<String> tokens) {
        Map<String, Integer> rankOf = new HashMap<>(tokens.size() * 2);
        for (int rank = 0; rank < tokens.size(); rank++) {
            rankOf.put(tokens.get(rank), rank);
        }
        List<String> merges = new ArrayList<>();
        for (int rank = 0; rank < tokens.size(); rank++) {
            String token = tokens.get(rank);
            if (token.length() >= 2) {
                merges.add(lastMerge(token, rank, rankOf));
            }
        }
        return merges;
    }

    private static String lastMerge(String token, int ownRank, Map<String, Integer> rankOf) {
        // parts[i] is where the i-th part starts; a part ends where the next begins.
        List<Integer> starts = new ArrayList<>();
        for (int i = 0; i < token.length(); i++) {
            starts.add(i);
        }
        while (starts.size() > 2) {
            int best = -1;
            int bestRank = ownRank;
            for (int i = 0; i + 1 < starts.size(); i++) {
                int end = i + 2 < starts.size() ? starts.get(i + 2) : token.length();
                Integer r = rankOf.get(token.substring(starts.get(i), end));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) {
                throw new IllegalStateException("token of rank " + ownRank + " ('" + token + "') cannot be built"
                        + " from lower-ranked tokens");
            }
            starts.remove(best + 1);
        }
        return token.substring(0, starts.get(1)) + " " + token.substring(starts.get(1));
    }

    /** Writes a tokenizer of {@code tokens} (by rank) with {@code <|endoftext|>} right after them. */
    private static void write(List<String> tokens, OutputStream out) throws IOException {
        List<String> merges = recoverMerges(tokens);
        int endOfText = tokens.size();
        try (JsonGenerator g = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("version", "1.0");
            g.writeNullField("truncation");
            g.writeNullField("padding");
            g.writeArrayFieldStart("added_tokens");
            g.writeStartObject();
            g.writeNumberField("id", endOfText);
            g.writeStringField("content", END_OF_TEXT);
            g.writeBooleanField("single_word", false);
            g.writeBooleanField("lstrip", false);
            g.writeBooleanField("rstrip", false);
            g.writeBooleanField("normalized", true);
            g.writeBooleanField("special", true);
            g.writeEndObject();
            g.writeEndArray();
            g.writeNullField("normalizer");
            writeByteLevel(g, "pre_tokenizer", true);
            writeByteLevel(g, "post_processor", false);
            writeByteLevel(g, "decoder", true);
            g.writeObjectFieldStart("model");
            g.writeStringField("type", "BPE");
            g.writeNullField("dropout");
            g.writeNullField("unk_token");
            g.writeStringField("continuing_subword_prefix", "");
            g.writeStringField("end_of_word_suffix", "");
            g.writeBooleanField("fuse_unk", false);
            g.writeBooleanField("byte_fallback", false);
            g.writeObjectFieldStart("vocab");
            for (int rank = 0; rank < tokens.size(); rank++) {
                g.writeNumberField(tokens.get(rank), rank);
            }
            g.writeNumberField(END_OF_TEXT, endOfText);
            g.writeEndObject();
            g.writeArrayFieldStart("merges");
            for (String merge : merges) {
                g.writeString(merge);
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        }
    }

    /**
     * No prefix space anywhere: in the pre-tokenizer it would turn "Hello" into " Hello" (GPT-2 and
     * tiktoken do not); in the post-processor and decoder the flag only affects offsets.
     */
    private static void writeByteLevel(JsonGenerator g, String field, boolean trimOffsets) throws IOException {
        g.writeObjectFieldStart(field);
        g.writeStringField("type", "ByteLevel");
        g.writeBooleanField("add_prefix_space", false);
        g.writeBooleanField("trim_offsets", trimOffsets);
        g.writeBooleanField("use_regex", true);
        g.writeEndObject();
    }
}
