package io.fedpipe.eval;

import java.util.List;

/**
 * ROUGE-L (Lin, "ROUGE: A Package for Automatic Evaluation of Summaries", ACL Workshop 2004,
 * §3.1) as coco-caption's {@code Rouge} scores it for the E2E challenge, on
 * {@link CaptionTokenizer} tokens.
 *
 * <p>Per segment, with LCS the longest common subsequence of hypothesis and reference tokens:
 * P = max over references of LCS / |hypothesis|, R = max over references of LCS / |reference|
 * (the two maxima may come from different references, as in coco-caption), and
 * F = (1 + β²) P R / (R + β² P) with β = 1.2; F = 0 when P or R is 0. The corpus score is the
 * mean of F over segments, in [0, 1].
 */
public final class RougeL {

    static final double BETA = 1.2;

    private RougeL() {
    }

    public static double corpus(List<List<String>> hypotheses, List<List<List<String>>> references) {
        NGrams.checkAligned(hypotheses, references);
        if (hypotheses.isEmpty()) {
            return 0.0;
        }
        double sum = 0;
        for (int s = 0; s < hypotheses.size(); s++) {
            sum += segment(hypotheses.get(s), references.get(s));
        }
        return sum / hypotheses.size();
    }

    public static double segment(List<String> hypothesis, List<List<String>> references) {
        double precision = 0;
        double recall = 0;
        for (List<String> reference : references) {
            int lcs = lcs(hypothesis, reference);
            if (!hypothesis.isEmpty()) {
                precision = Math.max(precision, (double) lcs / hypothesis.size());
            }
            if (!reference.isEmpty()) {
                recall = Math.max(recall, (double) lcs / reference.size());
            }
        }
        if (precision == 0 || recall == 0) {
            return 0.0;
        }
        double b2 = BETA * BETA;
        return (1 + b2) * precision * recall / (recall + b2 * precision);
    }

    /** Length of the longest common subsequence (dynamic programming, two rows). */
    static int lcs(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];
        int[] current = new int[b.size() + 1];
        for (int i = 1; i <= a.size(); i++) {
            for (int j = 1; j <= b.size(); j++) {
                current[j] = a.get(i - 1).equals(b.get(j - 1)) ? previous[j - 1] + 1
                        : Math.max(previous[j], current[j - 1]);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.size()];
    }
}
