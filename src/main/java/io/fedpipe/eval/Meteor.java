package io.fedpipe.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * METEOR with the exact and stem modules (Banerjee and Lavie, ACL Workshop 2005; the scoring and
 * parameters of METEOR 1.5, Denkowski and Lavie, "Meteor Universal", WMT 2014), on
 * {@link CaptionTokenizer} tokens as coco-caption feeds them to {@code meteor-1.5.jar -l en -norm}.
 *
 * <p><b>Scoring</b> (METEOR 1.5): the alignment maps hypothesis words one-to-one to reference
 * words, stage by stage: exact (weight w_exact = 1.0), then Porter stems of the words left
 * (w_stem = 0.6). With m_h, m_r the weighted matched words on each side and chunks the number of
 * runs of matches adjacent and in the same order on both sides:
 * P = m_h / |h|, R = m_r / |r|, F_mean = P R / (α P + (1 − α) R),
 * Pen = γ (chunks / matches)^β (0 when hypothesis and reference match completely in one chunk),
 * score = (1 − Pen) F_mean, with METEOR 1.5's English "rank" parameters α = 0.85, β = 0.20,
 * γ = 0.60 (δ = 0.75 below). With several references, each segment keeps the statistics of its
 * best-scoring reference; the corpus score is computed from the statistics summed over segments
 * (METEOR's system-level score), not by averaging segment scores.
 *
 * <p><b>Differs from official METEOR 1.5</b>, so scores are lower than the E2E scripts' (typically
 * by a few points, more on paraphrase-rich outputs):
 * <ul>
 *   <li>no synonym (WordNet, w = 0.8) and no paraphrase-table (w = 0.6) modules;</li>
 *   <li>no function-word weighting: METEOR 1.5 weighs content words by δ = 0.75 and function
 *       words (its own English list) by 1 − δ; here every word is a content word, which makes δ
 *       drop out;</li>
 *   <li>the alignment is chosen greedily (left to right, preferring the reference word that
 *       continues the current chunk, else the one nearest in relative position), not by
 *       METEOR's beam search for the fewest chunks; ties can give a few more chunks;</li>
 *   <li>METEOR's stemmer is Snowball's English (Porter2), here the original Porter (1980).</li>
 * </ul>
 */
public final class Meteor {

    static final double ALPHA = 0.85;
    static final double BETA = 0.20;
    static final double GAMMA = 0.60;
    static final double EXACT_WEIGHT = 1.0;
    static final double STEM_WEIGHT = 0.6;

    private Meteor() {
    }

    /**
     * What a segment contributes to the corpus score.
     *
     * @param hypothesisLength hypothesis words
     * @param referenceLength reference words
     * @param weightedMatches Σ module weight over matched pairs (the same on both sides: one-to-one)
     * @param matches matched pairs
     * @param chunks runs of adjacent matches
     */
    record Stats(int hypothesisLength, int referenceLength, double weightedMatches, int matches, int chunks) {

        Stats plus(Stats o) {
            return new Stats(hypothesisLength + o.hypothesisLength, referenceLength + o.referenceLength,
                    weightedMatches + o.weightedMatches, matches + o.matches, chunks + o.chunks);
        }

        double score() {
            if (matches == 0 || hypothesisLength == 0 || referenceLength == 0) {
                return 0.0;
            }
            double precision = weightedMatches / hypothesisLength;
            double recall = weightedMatches / referenceLength;
            double fMean = precision * recall / (ALPHA * precision + (1 - ALPHA) * recall);
            boolean whole = matches == hypothesisLength && matches == referenceLength && chunks == 1;
            double fragmentation = whole ? 0.0 : (double) chunks / matches;
            double penalty = GAMMA * Math.pow(fragmentation, BETA);
            return (1 - penalty) * fMean;
        }
    }

    public static double corpus(List<List<String>> hypotheses, List<List<List<String>>> references) {
        NGrams.checkAligned(hypotheses, references);
        Stats total = new Stats(0, 0, 0, 0, 0);
        for (int s = 0; s < hypotheses.size(); s++) {
            total = total.plus(best(hypotheses.get(s), references.get(s)));
        }
        return total.score();
    }

    /** The statistics against the best-scoring reference (the first on a tie). */
    static Stats best(List<String> hypothesis, List<List<String>> references) {
        Stats best = null;
        for (List<String> reference : references) {
            Stats stats = align(hypothesis, reference);
            if (best == null || stats.score() > best.score()) {
                best = stats;
            }
        }
        return best;
    }

    static Stats align(List<String> hypothesis, List<String> reference) {
        int[] target = new int[hypothesis.size()];
        Arrays.fill(target, -1);
        boolean[] taken = new boolean[reference.size()];
        double weighted = matchStage(hypothesis, reference, hypothesis, reference, target, taken, EXACT_WEIGHT);
        List<String> hypothesisStems = hypothesis.stream().map(PorterStemmer::stem).toList();
        List<String> referenceStems = reference.stream().map(PorterStemmer::stem).toList();
        weighted += matchStage(hypothesis, reference, hypothesisStems, referenceStems, target, taken, STEM_WEIGHT);
        int matches = 0;
        int chunks = 0;
        for (int i = 0; i < target.length; i++) {
            if (target[i] < 0) {
                continue;
            }
            matches++;
            boolean continues = i > 0 && target[i - 1] >= 0 && target[i - 1] + 1 == target[i];
            if (!continues) {
                chunks++;
            }
        }
        return new Stats(hypothesis.size(), reference.size(), weighted, matches, chunks);
    }

    /** Matches still-free words whose keys are equal; returns the weight added. */
    private static double matchStage(List<String> hypothesis, List<String> reference, List<String> hypothesisKeys,
                                     List<String> referenceKeys, int[] target, boolean[] taken, double weight) {
        double added = 0;
        for (int i = 0; i < hypothesis.size(); i++) {
            if (target[i] >= 0) {
                continue;
            }
            List<Integer> candidates = new ArrayList<>();
            for (int j = 0; j < reference.size(); j++) {
                if (!taken[j] && referenceKeys.get(j).equals(hypothesisKeys.get(i))) {
                    candidates.add(j);
                }
            }
            if (candidates.isEmpty()) {
                continue;
            }
            int chosen = choose(candidates, i, target, hypothesis.size(), reference.size());
            target[i] = chosen;
            taken[chosen] = true;
            added += weight;
        }
        return added;
    }

    /** The candidate that continues the previous word's chunk, else the nearest in relative position. */
    private static int choose(List<Integer> candidates, int i, int[] target, int hypothesisLength, int referenceLength) {
        if (i > 0 && target[i - 1] >= 0 && candidates.contains(target[i - 1] + 1)) {
            return target[i - 1] + 1;
        }
        int best = candidates.get(0);
        double bestDistance = Double.MAX_VALUE;
        for (int j : candidates) {
            double distance = Math.abs((double) j / referenceLength - (double) i / hypothesisLength);
            if (distance < bestDistance) {
                bestDistance = distance;
                best = j;
            }
        }
        return best;
    }
}
