package io.fedpipe.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CIDEr (Vedantam, Zitnick and Parikh, "CIDEr: Consensus-based Image Description Evaluation",
 * CVPR 2015) as the {@code Cider} scorer bundled with the E2E scripts computes it, on
 * {@link CaptionTokenizer} tokens. That scorer, although named CIDEr, has CIDEr-D's two changes
 * (paper §8): clipped hypothesis weights and a Gaussian length penalty with σ = 6.
 *
 * <ul>
 *   <li>Document frequency df(g) = number of segments whose references contain n-gram g (n = 1..4);
 *       idf(g) = ln(N) − ln(max(1, df(g))) with N segments. So the weights depend on the whole
 *       corpus's references: scoring a subset changes them.</li>
 *   <li>Vector g_n(x): term frequency · idf for each n-gram of order n (raw counts, not divided
 *       by the length; cosine similarity makes that immaterial).</li>
 *   <li>Per reference r and order n: Σ_g min(g_n(h), g_n(r)) · g_n(r) / (‖g_n(h)‖ ‖g_n(r)‖)
 *       (0 when either norm is 0), times exp(−(ℓ(h) − ℓ(r))² / (2σ²)) with ℓ the token count
 *       (the scorer counts bigrams, tokens − 1 for both, which gives the same difference).</li>
 *   <li>Segment score = 10 · mean over n of the mean over references; corpus score = mean over
 *       segments. E2E systems score around 1.7 to 2.5.</li>
 * </ul>
 */
public final class Cider {

    static final int MAX_ORDER = 4;
    static final double SIGMA = 6.0;

    private Cider() {
    }

    public static double corpus(List<List<String>> hypotheses, List<List<List<String>>> references) {
        NGrams.checkAligned(hypotheses, references);
        if (hypotheses.isEmpty()) {
            return 0.0;
        }
        Map<String, Integer> documentFrequency = new HashMap<>();
        for (List<List<String>> refs : references) {
            Set<String> grams = new HashSet<>();
            for (List<String> reference : refs) {
                for (int n = 1; n <= MAX_ORDER; n++) {
                    grams.addAll(NGrams.counts(reference, n).keySet());
                }
            }
            grams.forEach(g -> documentFrequency.merge(g, 1, Integer::sum));
        }
        double logSegments = Math.log(hypotheses.size());
        double sum = 0;
        for (int s = 0; s < hypotheses.size(); s++) {
            List<Map<String, Double>> hypothesis = vectors(hypotheses.get(s), documentFrequency, logSegments);
            List<List<String>> refs = references.get(s);
            double segment = 0;
            for (List<String> reference : refs) {
                List<Map<String, Double>> r = vectors(reference, documentFrequency, logSegments);
                double delta = hypotheses.get(s).size() - reference.size();
                double penalty = Math.exp(-(delta * delta) / (2 * SIGMA * SIGMA));
                for (int n = 0; n < MAX_ORDER; n++) {
                    segment += penalty * similarity(hypothesis.get(n), r.get(n));
                }
            }
            sum += 10.0 * segment / MAX_ORDER / refs.size();
        }
        return sum / hypotheses.size();
    }

    private static List<Map<String, Double>> vectors(List<String> tokens, Map<String, Integer> documentFrequency,
                                                     double logSegments) {
        List<Map<String, Double>> vectors = new ArrayList<>(MAX_ORDER);
        for (int n = 1; n <= MAX_ORDER; n++) {
            Map<String, Double> vector = new HashMap<>();
            NGrams.counts(tokens, n).forEach((gram, tf) -> vector.put(gram,
                    tf * (logSegments - Math.log(Math.max(1, documentFrequency.getOrDefault(gram, 0))))));
            vectors.add(vector);
        }
        return vectors;
    }

    private static double similarity(Map<String, Double> hypothesis, Map<String, Double> reference) {
        double dot = 0;
        for (Map.Entry<String, Double> e : hypothesis.entrySet()) {
            double r = reference.getOrDefault(e.getKey(), 0.0);
            dot += Math.min(e.getValue(), r) * r;
        }
        double normH = norm(hypothesis);
        double normR = norm(reference);
        return normH == 0 || normR == 0 ? 0.0 : dot / (normH * normR);
    }

    private static double norm(Map<String, Double> vector) {
        double sum = 0;
        for (double v : vector.values()) {
            sum += v * v;
        }
        return Math.sqrt(sum);
    }
}
