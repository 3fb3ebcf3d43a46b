package io.fedpipe.pretrain;

import io.fedpipe.data.SeededRandom;
import io.fedpipe.tokenize.TextTokenizer;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A corpus as two flat token streams, training and held-out, each document followed by the
 * end-of-text token. Documents (not tokens) are assigned to the held-out part, seeded, so no
 * document contributes to both. Cached on disk: tokenizing ~60 MB of text takes a minute and a
 * resumed run must see exactly the same stream.
 */
public record TokenStream(int[] train, int[] heldOut, int vocabulary, int endOfText) {

    private static final int MAGIC = 0x46505453; // "FPTS"

    /**
     * @param heldOutShare share of documents held out, e.g. 0.01
     */
    public static TokenStream build(List<PretrainCorpus.Document> docs, TextTokenizer tokenizer, int endOfText,
            double heldOutShare, long seed) {
        if (docs.isEmpty()) {
            throw new IllegalArgumentException("the corpus has no documents");
        }
        int[] order = new int[docs.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        SeededRandom.forPurpose(seed, "pretrain-held-out").shuffle(order);
        int heldOutDocs = Math.max(1, (int) Math.round(docs.size() * heldOutShare));
        boolean[] held = new boolean[docs.size()];
        for (int i = 0; i < heldOutDocs; i++) {
            held[order[i]] = true;
        }
        IntBuffer train = new IntBuffer();
        IntBuffer val = new IntBuffer();
        for (int i = 0; i < docs.size(); i++) {
            long[] ids = tokenizer.encode(docs.get(i).text()).ids();
            IntBuffer target = held[i] ? val : train;
            for (long id : ids) {
                target.add(Math.toIntExact(id));
            }
            target.add(endOfText);
        }
        return new TokenStream(train.toArray(), val.toArray(), tokenizer.vocabularySize(), endOfText);
    }

    public void write(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
            out.writeInt(MAGIC);
            out.writeInt(vocabulary);
            out.writeInt(endOfText);
            out.writeInt(train.length);
            out.writeInt(heldOut.length);
            for (int t : train) {
                out.writeInt(t);
            }
            for (int t : heldOut) {
                out.writeInt(t);
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public static TokenStream read(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            if (in.readInt() != MAGIC) {
                throw new IOException(file + " is not a FedPipe token stream");
            }
            int vocab = in.readInt();
            int eot = in.readInt();
            int[] train = new int[in.readInt()];
            int[] val = new int[in.readInt()];
            for (int i = 0; i < train.length; i++) {
                train[i] = in.readInt();
            }
            for (int i = 0; i < val.length; i++) {
                val[i] = in.readInt();
            }
            return new TokenStream(train, val, vocab, eot);
        }
    }

    /** A growable int array (the corpus has tens of millions of tokens: no boxing). */
    private static final class IntBuffer {
        private int[] data = new int[1 << 20];
        private int size;

        void add(int v) {
            if (size == data.length) {
                data = java.util.Arrays.copyOf(data, data.length * 2);
            }
            data[size++] = v;
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(data, size);
        }
    }

    /** Documents per source, for the model card. */
    public static List<String> sourceCounts(List<PretrainCorpus.Document> docs) {
        java.util.Map<String, long[]> counts = new java.util.TreeMap<>();
        for (PretrainCorpus.Document d : docs) {
            long[] c = counts.computeIfAbsent(d.source(), k -> new long[2]);
            c[0]++;
            c[1] += d.text().length();
        }
        List<String> lines = new ArrayList<>();
        counts.forEach((k, v) -> lines.add(k + ": " + v[0] + " documents, " + v[1] + " characters"));
        return lines;
    }
}
