package io.fedpipe.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Named classification tasks: the built-in WordNet topic task, or a user's directory with
 * {@code train.jsonl} and {@code validation.jsonl} (and optionally {@code test.jsonl}).
 */
public final class ClassificationTasks {

    public static final String WORDNET_TOPICS = "wordnet-topics";

    private ClassificationTasks() {}

    public static DatasetSplits load(String task, long seed) throws IOException {
        if (WORDNET_TOPICS.equals(task.toLowerCase(Locale.ROOT))) {
            return WordNetTopics.load(seed);
        }
        Path dir = Path.of(task);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("unknown task '" + task + "': give '" + WORDNET_TOPICS
                    + "' or a directory holding train.jsonl and validation.jsonl");
        }
        ClassificationDataset train = read(dir.resolve("train.jsonl"));
        ClassificationDataset validation = relabel(read(dir.resolve("validation.jsonl")), train, "validation.jsonl");
        Path testFile = dir.resolve("test.jsonl");
        ClassificationDataset test = Files.exists(testFile) ? relabel(read(testFile), train, "test.jsonl") : validation;
        return new DatasetSplits(train, validation, test);
    }

    private static ClassificationDataset read(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("task directory " + file.getParent() + " has no " + file.getFileName());
        }
        return JsonlReader.readClassification(file).dataset();
    }

    /** Evaluation splits use the training labels' numbering; a label never trained on is an error. */
    private static ClassificationDataset relabel(ClassificationDataset split, ClassificationDataset train, String name) {
        for (String label : split.labels()) {
            if (!train.labels().contains(label)) {
                throw new IllegalArgumentException(name + " has label '" + label + "' that train.jsonl never uses");
            }
        }
        return ClassificationDataset.of(split.examples(), train.labels());
    }
}
