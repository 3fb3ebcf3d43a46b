package io.fedpipe.train;

import io.fedpipe.data.ClassificationExample;
import io.fedpipe.data.JsonlWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A small JSONL task directory with three topics (animals, vehicles, food) in plain English
 * sentences built from seeded word lists: easy for a pre-trained sentence encoder to separate,
 * so a short fine-tuning run must reach high accuracy if the pipeline works. Examples cycle
 * through the classes, so the classes are balanced and the majority baseline is about 1/3.
 */
public final class ThreeTopicTask {

    static final List<String> LABELS = List.of("animals", "vehicles", "food");

    private static final String[][] NOUNS = {
        {"dog", "cat", "horse", "cow", "lion", "tiger", "rabbit", "elephant", "sheep", "wolf", "fox", "bear",
            "monkey", "giraffe", "zebra", "deer"},
        {"car", "truck", "bus", "bicycle", "motorcycle", "train", "airplane", "boat", "van", "tractor", "scooter",
            "helicopter", "ship", "taxi", "tram", "jeep"},
        {"bread", "cheese", "pizza", "soup", "apple", "banana", "rice", "pasta", "cake", "salad", "sandwich",
            "chocolate", "carrot", "potato", "pie", "omelette"},
    };
    private static final String[][] PREDICATES = {
        {"slept in the barn", "ran across the field", "was hiding in the forest", "ate grass by the river",
            "was born at the zoo", "chased its tail", "hunted at night", "drank water from the pond"},
        {"was parked on the street", "drove down the highway", "needed new tires", "was stuck in traffic",
            "left the station late", "had a broken engine", "carried passengers to the city", "ran out of fuel"},
        {"was served for dinner", "tasted sweet and fresh", "was baked in the oven", "was on the kitchen table",
            "was cooked with garlic", "was eaten for lunch", "smelled delicious", "was bought at the market"},
    };
    private static final String[] OPENINGS = {"The", "A", "My", "Our", "That", "Her", "His", "This"};
    private static final String[] ADJECTIVES = {"old", "big", "small", "new", "brown", "red", "young", "large"};

    private ThreeTopicTask() {}

    /** Writes {@code train.jsonl} and {@code validation.jsonl} into {@code dir}; returns {@code dir}. */
    public static Path write(Path dir, int trainExamples, int validationExamples, long seed) throws IOException {
        Files.createDirectories(dir);
        Random random = new Random(seed);
        JsonlWriter.writeClassification(dir.resolve("train.jsonl"), examples(trainExamples, random));
        JsonlWriter.writeClassification(dir.resolve("validation.jsonl"), examples(validationExamples, random));
        return dir;
    }

    static List<ClassificationExample> examples(int count, Random random) {
        List<ClassificationExample> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int c = i % LABELS.size();
            String text = pick(OPENINGS, random) + " " + pick(ADJECTIVES, random) + " " + pick(NOUNS[c], random) + " "
                    + pick(PREDICATES[c], random) + ".";
            out.add(new ClassificationExample(text, LABELS.get(c)));
        }
        return out;
    }

    private static String pick(String[] words, Random random) {
        return words[random.nextInt(words.length)];
    }
}
