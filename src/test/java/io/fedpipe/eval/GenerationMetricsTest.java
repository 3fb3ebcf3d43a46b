package io.fedpipe.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-computed cases for each metric; the arithmetic is in the comments. */
class GenerationMetricsTest {

    private static final double EPS = 1e-9;

    private static List<String> t(String text) {
        return text.isEmpty() ? List.of() : Arrays.asList(text.split(" "));
    }

    private static List<List<String>> refs(String... texts) {
        return Arrays.stream(texts).map(GenerationMetricsTest::t).toList();
    }

    // ---- tokenizers

    @Test
    void mtevalTokenizationFollowsTheScriptsRules() {
        assertEquals(List.of("hello", ",", "world", ".", "it's", "3.5", "£20", "-", "25", "(", "yes", ")", "!",
                        "family-friendly", "&", "1,000", "\"", "x", "\""),
                MtevalTokenizer.tokenize("Hello, World. It's 3.5 £20-25 (yes)! family-friendly &amp; 1,000 \"x\""));
        assertEquals(List.of(), MtevalTokenizer.tokenize("  "));
    }

    @Test
    void captionTokenizationLowercasesSplitsCliticsAndDropsPunctuation() {
        assertEquals(List.of("the", "mill", "is", "n't", "family-friendly", "it", "'s", "near", "the", "river"),
                CaptionTokenizer.tokenize("The Mill isn't family-friendly; it's near (the) River."));
        assertEquals(List.of("prices", "£20-25", "1,000", "a", "b"), CaptionTokenizer.tokenize("Prices: £20-25, 1,000 a,b!"));
    }

    // ---- BLEU

    @Test
    void bleuIsOneForAPerfectMatch() {
        assertEquals(1.0, Bleu.corpus(List.of(t("the cat sat on the mat")), List.of(refs("the cat sat on the mat"))), EPS);
    }

    @Test
    void bleuBrevityPenaltyUsesTheClosestReference() {
        // p_n = 1 for n = 1..4; c = 6, closest reference 7 (not 12): BP = exp(1 - 7/6)
        double bleu = Bleu.corpus(List.of(t("the cat sat on the mat")),
                List.of(refs("the cat sat on the mat today", "the cat sat on the mat today and every day again")));
        assertEquals(Math.exp(1 - 7.0 / 6), bleu, EPS);
        assertEquals(0.8464817248906141, bleu, 1e-12);
        // mteval-v13a's own examples of the closest length, the shorter on a tie
        assertEquals(8, Bleu.closestLength(List.of(t("1 2 3 4 5 6 7 8 9 10 11"), t("1 2 3 4 5 6 7 8")), 7));
        assertEquals(6, Bleu.closestLength(List.of(t("1 2 3 4 5 6 7 8"), t("1 2 3 4 5 6")), 7));
        assertEquals(7, Bleu.closestLength(List.of(t("1 2 3 4 5 6 7"), t("1 2 3 4 5 6")), 7));
    }

    @Test
    void bleuClipsEachNgramToItsLargestCountInOneReference() {
        // "the" x3 clipped to max(1, 2) = 2 (a sum over references would give 3): p1 = 2/3;
        // "the the" x2 clipped to 1: p2 = 1/2; no trigram match, smoothed: p3 = 1/(2*1); no 4-gram in
        // the hypothesis: log term 0. Closest reference length 3 = c: BP = 1.
        // BLEU = exp((ln 2/3 + ln 1/2 + ln 1/2 + 0) / 4) = (1/6)^(1/4)
        double bleu = Bleu.corpus(List.of(t("the the the")), List.of(refs("the cat", "the the dog")));
        assertEquals(Math.pow(1.0 / 6, 0.25), bleu, EPS);
        assertEquals(0.6389431042462724, bleu, 1e-12);
    }

    @Test
    void bleuWithoutOverlapIsMtevalsSmoothedValue() {
        // no match at any order: p_n = 1/(2^n * count_n) = 1/8, 1/12, 1/16, 1/16
        double bleu = Bleu.corpus(List.of(t("a b c d")), List.of(refs("w x y z")));
        assertEquals(Math.pow(1.0 / 8 / 12 / 16 / 16, 0.25), bleu, EPS);
        assertEquals(0.07986788803078405, bleu, 1e-12);
        assertEquals(0.0, Bleu.corpus(List.of(t("")), List.of(refs("w x"))), 0.0, "empty output");
    }

    @Test
    void bleuPoolsCountsOverTheCorpus() {
        // seg 1 perfect (4 tokens), seg 2 "x y" vs "z y": p1 = 5/6, p2 = 3/4, p3 = 2/2, p4 = 1/1 (only seg 1
        // has trigrams and a 4-gram); c = 6 = r: BP = 1. Averaging segment BLEUs would give something else.
        double bleu = Bleu.corpus(List.of(t("a b c d"), t("x y")), List.of(refs("a b c d"), refs("z y")));
        assertEquals(Math.pow(5.0 / 6 * 3.0 / 4, 0.25), bleu, EPS);
    }

    // ---- NIST

    @Test
    void nistWeighsMatchesByInformationAndPenalisesAtTwoThirdsByHalf() {
        // reference "a b c": Info(a) = Info(b) = log2(3/1), Info(a b) = log2(count(a)/count(a b)) = 0.
        // Score = 2 log2 3 / 2 (unigrams) + 0 / 1 (bigram) = log2 3; length ratio 2/3: penalty exactly 1/2.
        double nist = Nist.corpus(List.of(t("a b")), List.of(refs("a b c")));
        assertEquals(Math.log(3) / Math.log(2) / 2, nist, EPS);
        assertEquals(0.5, Nist.brevityPenalty(2.0 / 3), 1e-12);
        assertEquals(1.0, Nist.brevityPenalty(1.2), 0.0);
    }

    @Test
    void nistInformationComesFromAllReferencesOfTheCorpus() {
        // references "a b", "a c" | "b": 5 words; count a = 2, b = 2, c = 1, a b = 1.
        // Info(a) = Info(b) = log2(5/2), Info(a b) = log2(2/1) = 1. Seg 1 matches a, b, "a b"; seg 2 nothing.
        // Score = 2 log2(5/2) / 3 + 1 / 1. L_ref = 5 words / (3 refs / 2 segments) = 10/3, L_sys = 3:
        // penalty exp(-beta ln^2 0.9), beta = ln 2 / ln^2 1.5.
        double nist = Nist.corpus(List.of(t("a b"), t("a")), List.of(refs("a b", "a c"), refs("b")));
        double beta = Math.log(2) / Math.pow(Math.log(1.5), 2);
        double expected = (2 * Math.log(2.5) / Math.log(2) / 3 + 1) * Math.exp(-beta * Math.pow(Math.log(0.9), 2));
        assertEquals(expected, nist, EPS);
        assertEquals(1.7952642101754301, nist, 1e-12);
        assertEquals(0.0, Nist.corpus(List.of(t("x y")), List.of(refs("a b"))), 0.0, "no overlap");
    }

    // ---- ROUGE-L

    @Test
    void rougeLIsOneForAPerfectMatchAndZeroWithoutOverlap() {
        assertEquals(1.0, RougeL.segment(t("a b c"), refs("a b c")), EPS);
        assertEquals(0.0, RougeL.segment(t("a b c"), refs("x y")), 0.0);
    }

    @Test
    void rougeLIsTheLcsFMeasureWithBeta12() {
        // LCS("a b c d", "a c e") = 2: P = 1/2, R = 2/3, F = 2.44 P R / (R + 1.44 P)
        double f = RougeL.segment(t("a b c d"), refs("a c e"));
        assertEquals(2.44 * 0.5 * (2.0 / 3) / (2.0 / 3 + 1.44 * 0.5), f, EPS);
        assertEquals(0.5865384615384615, f, 1e-12);
    }

    @Test
    void rougeLTakesPrecisionAndRecallMaximaOverReferencesSeparately() {
        // ref "a": P = 1/2, R = 1; ref "a b c d e": P = 1, R = 2/5. coco-caption: max P = 1, max R = 1 -> F = 1
        assertEquals(1.0, RougeL.segment(t("a b"), refs("a", "a b c d e")), EPS);
        // corpus: the mean over segments
        assertEquals(0.5, RougeL.corpus(List.of(t("a b"), t("x")), List.of(refs("a b"), refs("y"))), EPS);
    }

    // ---- CIDEr

    @Test
    void ciderUsesCorpusIdfCosinePerOrderAndTheLengthPenalty() {
        // N = 2 segments; every n-gram's df is 1, so idf = ln 2 for all and cancels in the cosines.
        // Seg 1, "a b" vs "a b c": n=1 cos = 2/sqrt(6), n=2 cos = 1/sqrt(2), n=3,4: 0; length difference 1:
        // exp(-1/72). Seg 1 = 10 * exp(-1/72) * (2/sqrt 6 + 1/sqrt 2) / 4; seg 2 no overlap = 0; mean of both.
        double cider = Cider.corpus(List.of(t("a b"), t("x")), List.of(refs("a b c"), refs("y")));
        double expected = 10 * Math.exp(-1.0 / 72) * (2 / Math.sqrt(6) + 1 / Math.sqrt(2)) / 4 / 2;
        assertEquals(expected, cider, EPS);
        assertEquals(1.8782355985150687, cider, 1e-12);
    }

    @Test
    void ciderClipsHypothesisWeightsAndIgnoresNgramsInEveryDocument() {
        // "a a" vs "a b": Σ min(2w, w) * w / (2w * sqrt(2) w) = 1/(2 sqrt 2) at n=1, 0 above; equal lengths.
        double clipped = Cider.corpus(List.of(t("a a"), t("x")), List.of(refs("a b"), refs("y")));
        assertEquals(10 * (1 / (2 * Math.sqrt(2))) / 4 / 2, clipped, EPS);
        // "a" is in both segments' references: idf 0, so matching only it scores 0
        assertEquals(0.0, Cider.corpus(List.of(t("a"), t("a")), List.of(refs("a b"), refs("a c"))), EPS);
        // a perfect two-word match in a two-segment corpus: n=1 and n=2 cosines 1 -> 10 * 2/4 = 5, mean 2.5
        assertEquals(2.5, Cider.corpus(List.of(t("a b"), t("x")), List.of(refs("a b"), refs("y"))), EPS);
    }

    // ---- METEOR

    @Test
    void meteorPerfectMatchIsOneAndNoOverlapZero() {
        assertEquals(1.0, Meteor.corpus(List.of(t("the cat sat")), List.of(refs("the cat sat"))), EPS);
        assertEquals(0.0, Meteor.corpus(List.of(t("the cat sat")), List.of(refs("a dog ran"))), 0.0);
    }

    @Test
    void meteorCombinesRecallWeightedFmeanAndTheFragmentationPenalty() {
        // P = 1, R = 3/4: Fmean = PR / (0.85 P + 0.15 R); one chunk of 3 matches: Pen = 0.6 (1/3)^0.2
        double shorter = Meteor.corpus(List.of(t("the cat sat")), List.of(refs("the cat sat down")));
        double fMean = 0.75 / (0.85 + 0.15 * 0.75);
        assertEquals(fMean * (1 - 0.6 * Math.pow(1.0 / 3, 0.2)), shorter, EPS);
        assertEquals(0.4039130360601519, shorter, 1e-12);
        // all three words match, in two chunks ("sat" | "the cat"): Fmean = 1, Pen = 0.6 (2/3)^0.2
        double reordered = Meteor.corpus(List.of(t("sat the cat")), List.of(refs("the cat sat")));
        assertEquals(1 - 0.6 * Math.pow(2.0 / 3, 0.2), reordered, EPS);
    }

    @Test
    void meteorStemMatchesWeighSixTenths() {
        // "cats" ~ "cat" by stem (0.6), "sat" exact (1.0): P = R = 1.6 / 2, one chunk covering both: no penalty
        assertEquals(0.8, Meteor.corpus(List.of(t("cats sat")), List.of(refs("cat sat"))), EPS);
    }

    @Test
    void meteorKeepsTheBestReferenceAndScoresTheCorpusFromSummedStatistics() {
        assertEquals(1.0, Meteor.corpus(List.of(t("a b")), List.of(refs("c", "a b"))), EPS);
        // sums: |h| = 3, |r| = 3, 2 matches in 1 chunk: P = R = 2/3, Pen = 0.6 (1/2)^0.2 (not the mean 0.5
        // of the segment scores 1 and 0)
        double corpus = Meteor.corpus(List.of(t("a b"), t("c")), List.of(refs("a b"), refs("d")));
        assertEquals(2.0 / 3 * (1 - 0.6 * Math.pow(0.5, 0.2)), corpus, EPS);
        assertEquals(0.318446441348217, corpus, 1e-12);
    }

    @Test
    void porterStemmerFollowsThePaper() {
        String[][] cases = {
            {"caresses", "caress"}, {"ponies", "poni"}, {"cats", "cat"}, {"feed", "feed"}, {"agreed", "agre"},
            {"plastered", "plaster"}, {"motoring", "motor"}, {"sing", "sing"}, {"conflated", "conflat"},
            {"hopping", "hop"}, {"falling", "fall"}, {"filing", "file"}, {"happy", "happi"},
            {"relational", "relat"}, {"conditional", "condit"}, {"generalization", "gener"},
            {"restaurant", "restaur"}, {"controlling", "control"}, {"roll", "roll"}, {"is", "is"},
        };
        for (String[] c : cases) {
            assertEquals(c[1], PorterStemmer.stem(c[0]), c[0]);
        }
    }

    // ---- the entry point

    @Test
    void scoreRunsAllFiveOnRawText() {
        GenerationScores perfect = GenerationMetrics.score(
                List.of("The Eagle is a coffee shop.", "Alimentum is not family-friendly."),
                List.of(List.of("The Eagle is a coffee shop.", "A coffee shop: The Eagle."),
                        List.of("Alimentum is not family-friendly.")));
        assertEquals(2, perfect.segments());
        assertEquals(1.0, perfect.bleu(), EPS);
        assertEquals(1.0, perfect.rougeL(), EPS);
        // METEOR's corpus statistics: 10 of 10 words matched but in 2 chunks (one per segment), so the
        // summed statistics keep a fragmentation penalty: 1 - 0.6 (2/10)^0.2
        assertEquals(1 - 0.6 * Math.pow(0.2, 0.2), perfect.meteor(), EPS);
        assertTrue(perfect.nist() > 2, "NIST " + perfect.nist());
        assertTrue(perfect.cider() > 0, "CIDEr " + perfect.cider());
        assertTrue(perfect.table().startsWith("BLEU: 1.0000\nNIST: "), perfect.table());
    }

    @Test
    void misalignedInputsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GenerationMetrics.score(List.of("a", "b"), List.of(List.of("a"))));
        assertEquals("2 hypotheses but 1 reference sets; they are paired by position", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GenerationMetrics.score(List.of("a"), List.of(List.of())));
    }
}
