package io.fedpipe.eval;

import java.util.Locale;

/**
 * The E2E challenge's five generation metrics for one system output, in the E2E scripts'
 * scales: BLEU, METEOR and ROUGE-L in [0, 1] (papers such as LoRA's print them × 100), NIST
 * and CIDEr unbounded (E2E systems: NIST about 8, CIDEr about 2.5).
 *
 * @param segments how many hypotheses were scored
 */
public record GenerationScores(int segments, double bleu, double nist, double meteor, double rougeL, double cider) {

    /** One line per metric, four decimals, as {@code measure_scores.py} prints them. */
    public String table() {
        return String.format(Locale.ROOT, "BLEU: %.4f%nNIST: %.4f%nMETEOR: %.4f%nROUGE_L: %.4f%nCIDEr: %.4f%n",
                bleu, nist, meteor, rougeL, cider);
    }
}
