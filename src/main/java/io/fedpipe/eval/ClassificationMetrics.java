package io.fedpipe.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Accuracy, per-class F1 and macro-F1 of predicted against gold label indices, with the
 * confusion counts they come from.
 *
 * <p>Per class c: F1 = 2·TP / (2·TP + FP + FN), which equals the harmonic mean of precision and
 * recall and is 0 when TP = 0 (so a class never predicted, or only ever predicted wrongly, scores
 * 0 rather than being undefined, as scikit-learn's {@code zero_division=0}).
 *
 * <p><b>Macro-F1 convention:</b> the unweighted mean of F1 over the classes that occur in the
 * gold labels or in the predictions, exactly scikit-learn's {@code f1_score(average="macro")}
 * without an explicit {@code labels} argument. Classes of the vocabulary that appear in neither
 * are left out (their F1 is undefined), so a test split that lacks a class is not penalised for it.
 */
public final class ClassificationMetrics {

    private final long[][] confusion;
    private final long count;

    private ClassificationMetrics(long[][] confusion, long count) {
        this.confusion = confusion;
        this.count = count;
    }

    /**
     * @param predicted predicted label index per example, in [0, numLabels)
     * @param gold gold label index per example, same length, in [0, numLabels)
     */
    public static ClassificationMetrics compute(int[] predicted, int[] gold, int numLabels) {
        if (predicted.length != gold.length) {
            throw new IllegalArgumentException(predicted.length + " predictions for " + gold.length + " gold labels");
        }
        if (gold.length == 0) {
            throw new IllegalArgumentException("no examples to score");
        }
        if (numLabels < 1) {
            throw new IllegalArgumentException("need at least one label, got " + numLabels);
        }
        long[][] confusion = new long[numLabels][numLabels];
        for (int i = 0; i < gold.length; i++) {
            requireLabel("gold", i, gold[i], numLabels);
            requireLabel("predicted", i, predicted[i], numLabels);
            confusion[gold[i]][predicted[i]]++;
        }
        return new ClassificationMetrics(confusion, gold.length);
    }

    private static void requireLabel(String what, int example, int label, int numLabels) {
        if (label < 0 || label >= numLabels) {
            throw new IllegalArgumentException(what + " label of example " + example + " is " + label
                    + ", outside [0, " + numLabels + ")");
        }
    }

    /** Fraction of the examples whose most frequent gold label is the answer: a majority-class baseline. */
    public static double majorityClassFraction(int[] gold, int numLabels) {
        if (gold.length == 0) {
            throw new IllegalArgumentException("no examples");
        }
        int[] counts = new int[numLabels];
        for (int label : gold) {
            counts[label]++;
        }
        return (double) Arrays.stream(counts).max().orElseThrow() / gold.length;
    }

    public int numLabels() {
        return confusion.length;
    }

    public long count() {
        return count;
    }

    /** Examples with gold label {@code gold} predicted as {@code predicted}. */
    public long confusion(int gold, int predicted) {
        return confusion[gold][predicted];
    }

    /** A copy of the confusion matrix, rows gold, columns predicted. */
    public long[][] confusionMatrix() {
        long[][] copy = new long[confusion.length][];
        for (int row = 0; row < confusion.length; row++) {
            copy[row] = confusion[row].clone();
        }
        return copy;
    }

    public double accuracy() {
        long correct = 0;
        for (int c = 0; c < confusion.length; c++) {
            correct += confusion[c][c];
        }
        return (double) correct / count;
    }

    public long truePositives(int label) {
        return confusion[label][label];
    }

    /** Predicted {@code label} but gold was another. */
    public long falsePositives(int label) {
        long predicted = 0;
        for (long[] row : confusion) {
            predicted += row[label];
        }
        return predicted - confusion[label][label];
    }

    /** Gold {@code label} but predicted another. */
    public long falseNegatives(int label) {
        return support(label) - confusion[label][label];
    }

    /** Gold examples of {@code label}. */
    public long support(int label) {
        return Arrays.stream(confusion[label]).sum();
    }

    /** Whether {@code label} occurs in the gold labels or the predictions. */
    public boolean present(int label) {
        return truePositives(label) + falsePositives(label) + falseNegatives(label) > 0;
    }

    /** F1 of one class; NaN when the class is not {@link #present}. */
    public double f1(int label) {
        long tp = truePositives(label);
        long denominator = 2 * tp + falsePositives(label) + falseNegatives(label);
        return denominator == 0 ? Double.NaN : 2.0 * tp / denominator;
    }

    /** Mean F1 over the {@link #present} classes (see the class comment for the convention). */
    public double macroF1() {
        double sum = 0;
        int present = 0;
        for (int c = 0; c < confusion.length; c++) {
            if (present(c)) {
                sum += f1(c);
                present++;
            }
        }
        return sum / present;
    }

    /** One row per present class (support, F1), then accuracy and macro-F1. */
    public String toTable(List<String> labelNames) {
        if (labelNames.size() != confusion.length) {
            throw new IllegalArgumentException(labelNames.size() + " label names for " + confusion.length + " labels");
        }
        int width = Math.max(5, labelNames.stream().mapToInt(String::length).max().orElse(5));
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%-" + width + "s  %8s  %6s", "label", "support", "F1"));
        for (int c = 0; c < confusion.length; c++) {
            if (present(c)) {
                lines.add(String.format(Locale.ROOT, "%-" + width + "s  %8d  %6.4f", labelNames.get(c), support(c), f1(c)));
            }
        }
        lines.add(String.format(Locale.ROOT, "accuracy %.4f  macro-F1 %.4f  (n=%d)", accuracy(), macroF1(), count));
        return String.join(System.lineSeparator(), lines) + System.lineSeparator();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "ClassificationMetrics[n=%d, accuracy=%.4f, macroF1=%.4f]",
                count, accuracy(), macroF1());
    }
}
