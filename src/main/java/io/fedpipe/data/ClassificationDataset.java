package io.fedpipe.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * An immutable list of {@link ClassificationExample}s with a fixed label vocabulary.
 *
 * <p><b>Label vocabulary.</b> {@link #of(List)} uses the distinct labels of the examples in
 * {@link String#compareTo lexicographic} order, so the same set of labels always gets the same
 * indices whatever the order of the file. Federated nodes may each miss some classes; give them
 * all the job's vocabulary with {@link #of(List, List)} (or keep the global one through
 * {@link #subset(int[])}) so that index {@code i} means the same class everywhere.
 */
public final class ClassificationDataset {

    private final List<ClassificationExample> examples;
    private final List<String> labels;
    private final Map<String, Integer> indexOfLabel;
    private final int[] labelIndices;

    private ClassificationDataset(List<ClassificationExample> examples, List<String> labels) {
        this.examples = List.copyOf(examples);
        this.labels = List.copyOf(labels);
        this.indexOfLabel = new HashMap<>();
        for (int i = 0; i < this.labels.size(); i++) {
            String label = this.labels.get(i);
            if (indexOfLabel.put(label, i) != null) {
                throw new IllegalArgumentException("label vocabulary lists \"" + label + "\" twice");
            }
        }
        this.labelIndices = new int[this.examples.size()];
        for (int i = 0; i < labelIndices.length; i++) {
            String label = this.examples.get(i).label();
            Integer index = indexOfLabel.get(label);
            if (index == null) {
                throw new IllegalArgumentException("example " + i + " has label \"" + label
                        + "\", which is not in the vocabulary " + this.labels);
            }
            labelIndices[i] = index;
        }
    }

    /** A dataset whose vocabulary is the examples' distinct labels, sorted. */
    public static ClassificationDataset of(List<ClassificationExample> examples) {
        TreeSet<String> distinct = new TreeSet<>();
        for (ClassificationExample example : examples) {
            distinct.add(example.label());
        }
        return new ClassificationDataset(examples, new ArrayList<>(distinct));
    }

    /**
     * A dataset with an explicit vocabulary (indices in the given order); rejects an example
     * whose label is not in it and a vocabulary that repeats a label.
     */
    public static ClassificationDataset of(List<ClassificationExample> examples, List<String> labels) {
        return new ClassificationDataset(examples, labels);
    }

    public int size() {
        return examples.size();
    }

    public ClassificationExample get(int index) {
        return examples.get(index);
    }

    public List<ClassificationExample> examples() {
        return examples;
    }

    /** The label vocabulary: {@code labels().get(labelIndex(l)).equals(l)}. */
    public List<String> labels() {
        return labels;
    }

    public int numLabels() {
        return labels.size();
    }

    /** Index of {@code label} in the vocabulary; throws if the label is unknown. */
    public int labelIndex(String label) {
        Integer index = indexOfLabel.get(label);
        if (index == null) {
            throw new IllegalArgumentException("unknown label \"" + label + "\"; vocabulary is " + labels);
        }
        return index;
    }

    /** Label index of example {@code exampleIndex}. */
    public int labelIndexAt(int exampleIndex) {
        return labelIndices[exampleIndex];
    }

    /** Label index of every example, in order: the input a {@link Partitioner} expects. */
    public int[] labelIndices() {
        return labelIndices.clone();
    }

    /** Number of examples of each label index. */
    public int[] labelCounts() {
        int[] counts = new int[labels.size()];
        for (int index : labelIndices) {
            counts[index]++;
        }
        return counts;
    }

    /** The examples at {@code indices}, in that order, with this dataset's vocabulary. */
    public ClassificationDataset subset(int[] indices) {
        List<ClassificationExample> picked = new ArrayList<>(indices.length);
        for (int index : indices) {
            picked.add(examples.get(index));
        }
        return new ClassificationDataset(picked, labels);
    }

    /** The first {@code n} examples (all if fewer), with this dataset's vocabulary. */
    public ClassificationDataset head(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("head size must be >= 0, got " + n);
        }
        return new ClassificationDataset(examples.subList(0, Math.min(n, examples.size())), labels);
    }

    @Override
    public String toString() {
        return "ClassificationDataset[" + examples.size() + " examples, " + labels.size() + " labels]";
    }
}
