package io.fedpipe.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Corpus-level NIST (Doddington, "Automatic Evaluation of Machine Translation Quality Using
 * N-gram Co-Occurrence Statistics", HLT 2002), n up to 5, as {@code mteval-v13a.pl} (the E2E
 * challenge's {@code -sig} variant) computes it, on {@link MtevalTokenizer} tokens.
 *
 * <ul>
 *   <li>Information weight of an n-gram from the references of the whole corpus (every reference
 *       of every segment counted): Info(w_1..w_n) = log2(count(w_1..w_{n−1}) / count(w_1..w_n)),
 *       and for a unigram log2(total reference words / count(w)).</li>
 *   <li>Score = Σ_{n=1..5} [Σ over matched hypothesis n-grams of Info · clipped count]
 *       / [hypothesis n-grams], matches clipped as in BLEU (largest count in one reference).</li>
 *   <li>Times the brevity penalty exp(−β · log²(min(1, L_sys / L_ref))), β = −ln 0.5 / ln² 1.5,
 *       so a length ratio of 2/3 costs half the score; L_sys = hypothesis words, L_ref = total
 *       reference words / mean references per segment (mteval-v13a-sig's average reference
 *       length; the E2E scripts' Python port averages per segment instead, which differs when
 *       segments have different numbers of references).</li>
 * </ul>
 */
public final class Nist {

    static final int MAX_ORDER = 5;
    static final double BETA = -Math.log(0.5) / (Math.log(1.5) * Math.log(1.5));

    private Nist() {
    }

    /** NIST of tokenized hypotheses against their tokenized references, paired by position. */
    public static double corpus(List<List<String>> hypotheses, List<List<List<String>>> references) {
        NGrams.checkAligned(hypotheses, references);
        Map<String, Integer> referenceCounts = new HashMap<>();
        long referenceWords = 0;
        long referenceCount = 0;
        for (List<List<String>> refs : references) {
            for (List<String> reference : refs) {
                referenceWords += reference.size();
                referenceCount++;
                for (int n = 1; n <= MAX_ORDER; n++) {
                    NGrams.counts(reference, n).forEach((gram, count) -> referenceCounts.merge(gram, count, Integer::sum));
                }
            }
        }
        double[] information = new double[MAX_ORDER + 1];
        long[] totals = new long[MAX_ORDER + 1];
        long hypothesisWords = 0;
        for (int s = 0; s < hypotheses.size(); s++) {
            List<String> hypothesis = hypotheses.get(s);
            hypothesisWords += hypothesis.size();
            for (int n = 1; n <= MAX_ORDER; n++) {
                totals[n] += Math.max(0, hypothesis.size() - n + 1);
                Map<String, Integer> clip = NGrams.maxCounts(references.get(s), n);
                for (Map.Entry<String, Integer> e : NGrams.counts(hypothesis, n).entrySet()) {
                    int matched = Math.min(e.getValue(), clip.getOrDefault(e.getKey(), 0));
                    if (matched > 0) {
                        information[n] += matched * info(e.getKey(), referenceCounts, referenceWords);
                    }
                }
            }
        }
        double score = 0;
        for (int n = 1; n <= MAX_ORDER; n++) {
            score += information[n] / Math.max(totals[n], 1);
        }
        double meanReferences = (double) referenceCount / references.size();
        return score * brevityPenalty(hypothesisWords / (referenceWords / meanReferences));
    }

    static double info(String gram, Map<String, Integer> referenceCounts, long referenceWords) {
        int count = referenceCounts.get(gram);
        int cut = gram.lastIndexOf(' ');
        double context = cut < 0 ? referenceWords : referenceCounts.get(gram.substring(0, cut));
        return Math.log(context / count) / Math.log(2);
    }

    /** exp(−β · log² ratio) below ratio 1, 1 at or above it, 0 for an empty output. */
    static double brevityPenalty(double ratio) {
        if (ratio >= 1) {
            return 1;
        }
        if (ratio <= 0) {
            return 0;
        }
        double log = Math.log(ratio);
        return Math.exp(-BETA * log * log);
    }
}
