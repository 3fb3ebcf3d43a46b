package io.fedpipe.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedpipe.eval.ClassificationMetrics;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class WordNetTopicsTest {

    private static List<WordNetSynset> synsets;
    private static ClassificationDataset all;
    private static DatasetSplits splits;
    private static long parseMillis;

    @BeforeAll
    static void parseOnce() throws IOException {
        long start = System.nanoTime();
        synsets = WordNetTopics.readNounSynsets();
        parseMillis = (System.nanoTime() - start) / 1_000_000;
        all = WordNetTopics.toExamples(synsets);
        splits = DatasetSplits.stratified(all, 42, 0.1, 0.1);
    }

    @Test
    void readsEveryNounSynsetQuickly() {
        assertEquals(82_192, synsets.size());
        assertTrue(parseMillis < 5_000, "parsing data.noun took " + parseMillis + " ms");
        System.out.println("WordNet data.noun parsed in " + parseMillis + " ms");
    }

    @Test
    void lexicographerFilesMatchTheirCounts() {
        int[] perFile = new int[29];
        for (WordNetSynset synset : synsets) {
            perFile[synset.lexFileNumber()]++;
        }
        // Counted independently with awk over the second column of data.noun.
        assertEquals(51, perFile[3]);
        assertEquals(7_510, perFile[5]);
        assertEquals(11_605, perFile[6]);
        assertEquals(11_073, perFile[18]);
        assertEquals(1_030, perFile[28]);
        assertEquals("noun.animal", WordNetTopics.lexFileName(5));
        assertEquals("noun.person", WordNetTopics.lexFileName(18));
        assertEquals("noun.time", WordNetTopics.lexFileName(28));
    }

    @Test
    void knownSynsetsGetTheirTopicAndDefinitionWithoutExamples() {
        WordNetSynset dog = bySynsetOffset(2_086_723);
        assertEquals(List.of("dog", "domestic_dog", "Canis_familiaris"), dog.words());
        assertEquals("noun.animal", dog.lexFileName());
        assertEquals("a member of the genus Canis (probably descended from the common wolf) that has been"
                + " domesticated by man since prehistoric times; occurs in many breeds", dog.definition());
        assertTrue(dog.gloss().endsWith("\"the dog barked all night\""));

        WordNetSynset pawl = bySynsetOffset(3_907_626);
        assertEquals("noun.artifact", pawl.lexFileName());

        // A gloss whose example follows a colon, not a semicolon.
        WordNetSynset substitution = synsets.stream()
                .filter(s -> s.gloss().startsWith("the act of putting one thing or person in the place of another:"))
                .findFirst().orElseThrow();
        assertEquals("the act of putting one thing or person in the place of another", substitution.definition());
        assertEquals("noun.act", substitution.lexFileName());

        int dogIndex = indexOfText(dog.definition());
        assertEquals(all.labelIndex("noun.animal"), all.labelIndexAt(dogIndex));
    }

    @Test
    void datasetHas26LabelsAndOneExamplePerDistinctDefinition() {
        assertEquals(WordNetTopics.LABELS, all.labels());
        assertEquals(26, all.numLabels());
        assertEquals(81_569, all.size());
        Set<String> texts = new HashSet<>();
        all.examples().forEach(example -> texts.add(example.text()));
        assertEquals(all.size(), texts.size());
        assertEquals(51, all.labelCounts()[0]);
    }

    @Test
    void splitIsStratifiedAndCoversEveryExampleOnce() {
        assertEquals(all.size(), splits.totalSize());
        int[] total = all.labelCounts();
        int[] test = splits.test().labelCounts();
        int[] validation = splits.validation().labelCounts();
        for (int label = 0; label < total.length; label++) {
            assertEquals(Math.round(total[label] * 0.1), test[label], all.labels().get(label));
            assertEquals(Math.round(total[label] * 0.1), validation[label], all.labels().get(label));
        }
        Set<String> seen = new HashSet<>();
        for (ClassificationDataset part : List.of(splits.train(), splits.validation(), splits.test())) {
            part.examples().forEach(example -> assertTrue(seen.add(example.text()), example.text()));
        }
        assertEquals(all.size(), seen.size());
        System.out.println("WordNet topics split (seed 42): " + splits);
    }

    @Test
    void splitIsDeterministicForASeedAndChangesWithTheSeed() throws IOException {
        DatasetSplits again = WordNetTopics.load(42);
        DatasetSplits other = DatasetSplits.stratified(all, 43, 0.1, 0.1);

        assertEquals(splits.test().examples(), again.test().examples());
        assertEquals(splits.train().examples().subList(0, 100), again.train().examples().subList(0, 100));
        assertNotEquals(splits.train().examples().subList(0, 5), other.train().examples().subList(0, 5));
        assertEquals(splits.test().labelCounts()[3], other.test().labelCounts()[3]);
    }

    @Test
    void seed42SplitIsPinned() {
        // Checked identical on JDK 17 and JDK 25; a change here changes every published result.
        assertEquals(new ClassificationExample(
                "small genus of perennial herbs of north temperate regions: bugbane", "noun.plant"), splits.test().get(0));
        assertEquals(new ClassificationExample(
                "yellow-spotted violet food fish of warm deep waters", "noun.animal"), splits.train().get(0));
        assertEquals(new ClassificationExample(
                "the act of drawing a plan or diagram or outline", "noun.act"), splits.validation().get(0));
    }

    @Test
    void limitPerSplitKeepsVocabularyAndCapsSizes() {
        DatasetSplits small = splits.limitPerSplit(300);

        assertEquals(300, small.train().size());
        assertEquals(300, small.test().size());
        assertEquals(WordNetTopics.LABELS, small.validation().labels());
        assertEquals(splits.train().get(299), small.train().get(299));
    }

    @Test
    void majorityClassIsArtifactAtAboutFourteenPercent() {
        ClassificationDataset test = splits.test();
        double majority = ClassificationMetrics.majorityClassFraction(test.labelIndices(), test.numLabels());
        int artifact = test.labelIndex("noun.artifact");

        assertEquals((double) test.labelCounts()[artifact] / test.size(), majority, 1e-12);
        System.out.printf("WordNet topics test split: %d examples, majority class noun.artifact %.4f%n",
                test.size(), majority);
    }

    private static WordNetSynset bySynsetOffset(long offset) {
        return synsets.stream().filter(s -> s.offset() == offset).findFirst().orElseThrow();
    }

    private static int indexOfText(String text) {
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).text().equals(text)) {
                return i;
            }
        }
        throw new AssertionError("no example with text " + text);
    }
}
