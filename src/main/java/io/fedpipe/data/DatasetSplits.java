package io.fedpipe.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * Train, validation and test parts of one classification task, sharing one label vocabulary.
 *
 * <p>{@link #stratified} builds a split that keeps every class's share the same in all three
 * parts (up to rounding), so that a small class still appears in validation and test.
 */
public record DatasetSplits(ClassificationDataset train, ClassificationDataset validation,
                            ClassificationDataset test) {

    public DatasetSplits {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(validation, "validation");
        Objects.requireNonNull(test, "test");
        if (!train.labels().equals(validation.labels()) || !train.labels().equals(test.labels())) {
            throw new IllegalArgumentException("splits must share one label vocabulary");
        }
    }

    /**
     * A stratified random split, deterministic for a seed on any JVM.
     *
     * <p>For each label in vocabulary order, that label's examples (in dataset order) are
     * shuffled; the first {@code round(n · testFraction)} go to test, the next
     * {@code round(n · validationFraction)} to validation, the rest to train. Each part is then
     * shuffled, so its order is random and a {@link #limitPerSplit prefix} is a random sample.
     */
    public static DatasetSplits stratified(ClassificationDataset dataset, long seed,
                                           double validationFraction, double testFraction) {
        if (!(validationFraction >= 0 && testFraction >= 0 && validationFraction + testFraction < 1)) {
            throw new IllegalArgumentException("need validation, test fractions >= 0 with sum < 1, got "
                    + validationFraction + ", " + testFraction);
        }
        SeededRandom random = SeededRandom.forPurpose(seed, "stratified-split");
        IntList[] byLabel = new IntList[dataset.numLabels()];
        for (int label = 0; label < byLabel.length; label++) {
            byLabel[label] = new IntList();
        }
        for (int i = 0; i < dataset.size(); i++) {
            byLabel[dataset.labelIndexAt(i)].add(i);
        }
        IntList train = new IntList();
        IntList validation = new IntList();
        IntList test = new IntList();
        for (IntList members : byLabel) {
            int[] shuffled = members.shuffled(random);
            int testCount = (int) Math.round(shuffled.length * testFraction);
            int validationCount = (int) Math.round(shuffled.length * validationFraction);
            validationCount = Math.min(validationCount, shuffled.length - testCount);
            for (int k = 0; k < shuffled.length; k++) {
                IntList target = k < testCount ? test : k < testCount + validationCount ? validation : train;
                target.add(shuffled[k]);
            }
        }
        return new DatasetSplits(
                dataset.subset(train.shuffled(random)),
                dataset.subset(validation.shuffled(random)),
                dataset.subset(test.shuffled(random)));
    }

    /** At most {@code max} examples in each part (a random sample, as the parts are shuffled). */
    public DatasetSplits limitPerSplit(int max) {
        return new DatasetSplits(train.head(max), validation.head(max), test.head(max));
    }

    /** Examples in all three parts. */
    public int totalSize() {
        return train.size() + validation.size() + test.size();
    }

    @Override
    public String toString() {
        return "DatasetSplits[train=" + train.size() + ", validation=" + validation.size()
                + ", test=" + test.size() + ", labels=" + train.numLabels() + "]";
    }

    /** A growable int array; avoids boxing the index lists of a large dataset. */
    private static final class IntList {
        private int[] values = new int[16];
        private int size;

        void add(int value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        int[] shuffled(SeededRandom random) {
            int[] copy = Arrays.copyOf(values, size);
            random.shuffle(copy);
            return copy;
        }
    }
}
