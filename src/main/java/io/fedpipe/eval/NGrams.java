package io.fedpipe.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** N-gram counting shared by the overlap metrics; an n-gram is its tokens joined by a space. */
final class NGrams {

    private NGrams() {
    }

    /** Counts of the n-grams of exactly length {@code n}. */
    static Map<String, Integer> counts(List<String> tokens, int n) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            counts.merge(String.join(" ", tokens.subList(i, i + n)), 1, Integer::sum);
        }
        return counts;
    }

    /** Per n-gram, its largest count in any one reference (the clip of BLEU and NIST). */
    static Map<String, Integer> maxCounts(List<List<String>> references, int n) {
        Map<String, Integer> max = new HashMap<>();
        for (List<String> reference : references) {
            counts(reference, n).forEach((gram, count) -> max.merge(gram, count, Math::max));
        }
        return max;
    }

    /** Matches of the hypothesis's n-grams, each clipped to {@code clip}'s count. */
    static int clippedMatches(Map<String, Integer> hypothesis, Map<String, Integer> clip) {
        int matches = 0;
        for (Map.Entry<String, Integer> e : hypothesis.entrySet()) {
            matches += Math.min(e.getValue(), clip.getOrDefault(e.getKey(), 0));
        }
        return matches;
    }

    static void checkAligned(List<?> hypotheses, List<?> references) {
        if (hypotheses.size() != references.size()) {
            throw new IllegalArgumentException(hypotheses.size() + " hypotheses but " + references.size()
                    + " reference sets; they are paired by position");
        }
        for (int i = 0; i < references.size(); i++) {
            if (((List<?>) references.get(i)).isEmpty()) {
                throw new IllegalArgumentException("segment " + (i + 1) + " has no reference");
            }
        }
    }
}
