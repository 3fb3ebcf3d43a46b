package io.fedpipe.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Corpus-level multi-reference generation metrics as the E2E NLG challenge reports them
 * (tuetschek/e2e-metrics: BLEU and NIST from {@code mteval-v13a}, METEOR, ROUGE-L and CIDEr from
 * coco-caption), each re-implemented from its paper and the scripts' documented settings:
 * {@link Bleu}, {@link Nist}, {@link Meteor}, {@link RougeL}, {@link Cider}. BLEU and NIST see
 * {@link MtevalTokenizer} tokens, the other three {@link CaptionTokenizer} tokens, as in the
 * scripts. What differs from the official tools is in each class and in
 * {@code docs/generation-metrics.md} (METEOR most: no synonyms or paraphrases).
 */
public final class GenerationMetrics {

    private GenerationMetrics() {
    }

    /**
     * Scores hypotheses against their references, paired by position: hypothesis i is one
     * system output for segment i (e.g. one E2E MR), {@code references.get(i)} all its references.
     */
    public static GenerationScores score(List<String> hypotheses, List<List<String>> references) {
        NGrams.checkAligned(hypotheses, references);
        if (hypotheses.isEmpty()) {
            throw new IllegalArgumentException("nothing to score: no hypotheses");
        }
        List<List<String>> mtHypotheses = tokenizeAll(hypotheses, MtevalTokenizer::tokenize);
        List<List<List<String>>> mtReferences = tokenizeSets(references, MtevalTokenizer::tokenize);
        List<List<String>> captionHypotheses = tokenizeAll(hypotheses, CaptionTokenizer::tokenize);
        List<List<List<String>>> captionReferences = tokenizeSets(references, CaptionTokenizer::tokenize);
        return new GenerationScores(hypotheses.size(),
                Bleu.corpus(mtHypotheses, mtReferences),
                Nist.corpus(mtHypotheses, mtReferences),
                Meteor.corpus(captionHypotheses, captionReferences),
                RougeL.corpus(captionHypotheses, captionReferences),
                Cider.corpus(captionHypotheses, captionReferences));
    }

    private static List<List<String>> tokenizeAll(List<String> texts, Function<String, List<String>> tokenizer) {
        List<List<String>> out = new ArrayList<>(texts.size());
        for (String text : texts) {
            out.add(tokenizer.apply(text));
        }
        return out;
    }

    private static List<List<List<String>>> tokenizeSets(List<List<String>> sets,
                                                         Function<String, List<String>> tokenizer) {
        List<List<List<String>>> out = new ArrayList<>(sets.size());
        for (List<String> set : sets) {
            out.add(tokenizeAll(set, tokenizer));
        }
        return out;
    }
}
