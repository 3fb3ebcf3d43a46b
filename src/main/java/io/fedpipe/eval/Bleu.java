package io.fedpipe.eval;

import java.util.List;
import java.util.Map;

/**
 * Corpus-level BLEU-4 (Papineni, Roukos, Ward and Zhu, "BLEU: a Method for Automatic Evaluation
 * of Machine Translation", ACL 2002) with multiple references, as {@code mteval-v13a.pl}
 * computes it by default (what the E2E challenge reports), on {@link MtevalTokenizer} tokens.
 *
 * <ul>
 *   <li>Modified precision p_n (n = 1..4): over the corpus, Σ clipped matches / Σ hypothesis
 *       n-grams, where a hypothesis n-gram's count is clipped to its largest count in any one
 *       reference of its segment.</li>
 *   <li>Brevity penalty BP = exp(min(0, 1 − r / c)), c = hypothesis tokens, r = Σ over segments of
 *       the reference length <em>closest</em> to the hypothesis length, the shorter one on a tie
 *       (mteval-v13a's default {@code --brevity-penalty closest}; before v13, the shortest).</li>
 *   <li>BLEU = BP · exp(¼ Σ log p_n), with mteval-v13a's default smoothing: when no n-gram of an
 *       order matches, p_n = 1 / (2^k · hypothesis n-grams), k counting such orders from 1; an
 *       order with no hypothesis n-gram at all contributes log 1 = 0. So a corpus with no overlap
 *       scores a small positive BLEU, not 0, exactly as the script does.</li>
 * </ul>
 * The score is in [0, 1], as the E2E scripts print it (papers often show it × 100).
 */
public final class Bleu {

    static final int MAX_ORDER = 4;

    private Bleu() {
    }

    /** BLEU of tokenized hypotheses against their tokenized references, paired by position. */
    public static double corpus(List<List<String>> hypotheses, List<List<List<String>>> references) {
        NGrams.checkAligned(hypotheses, references);
        long[] matches = new long[MAX_ORDER + 1];
        long[] totals = new long[MAX_ORDER + 1];
        long hypothesisLength = 0;
        long referenceLength = 0;
        for (int s = 0; s < hypotheses.size(); s++) {
            List<String> hypothesis = hypotheses.get(s);
            List<List<String>> refs = references.get(s);
            for (int n = 1; n <= MAX_ORDER; n++) {
                Map<String, Integer> counts = NGrams.counts(hypothesis, n);
                matches[n] += NGrams.clippedMatches(counts, NGrams.maxCounts(refs, n));
                totals[n] += Math.max(0, hypothesis.size() - n + 1);
            }
            hypothesisLength += hypothesis.size();
            referenceLength += closestLength(refs, hypothesis.size());
        }
        return score(matches, totals, hypothesisLength, referenceLength);
    }

    /** The reference length closest to {@code length}; on a tie the shorter. */
    static int closestLength(List<List<String>> references, int length) {
        int best = -1;
        for (List<String> reference : references) {
            int r = reference.size();
            if (best < 0 || Math.abs(r - length) < Math.abs(best - length)
                    || (Math.abs(r - length) == Math.abs(best - length) && r < best)) {
                best = r;
            }
        }
        return best;
    }

    static double score(long[] matches, long[] totals, long hypothesisLength, long referenceLength) {
        if (hypothesisLength == 0) {
            return 0.0;
        }
        double brevity = Math.exp(Math.min(0.0, 1.0 - (double) referenceLength / hypothesisLength));
        double logSum = 0;
        double smooth = 1;
        for (int n = 1; n <= MAX_ORDER; n++) {
            if (totals[n] == 0) {
                continue;
            }
            if (matches[n] == 0) {
                smooth *= 2;
                logSum += Math.log(1.0 / (smooth * totals[n]));
            } else {
                logSum += Math.log((double) matches[n] / totals[n]);
            }
        }
        return brevity * Math.exp(logSum / MAX_ORDER);
    }
}
