package io.fedpipe.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LanguageModelMetricsTest {

    @Test
    void batchesCombineByTokensNotByBatchMeans() {
        LanguageModelMetrics combined = LanguageModelMetrics.EMPTY
                .plus(LanguageModelMetrics.fromMeanLoss(2.0, 10))
                .plus(LanguageModelMetrics.fromMeanLoss(1.0, 30));

        // (2·10 + 1·30) / 40 = 1.25, not the mean of means 1.5.
        assertEquals(40, combined.tokens());
        assertEquals(1.25, combined.meanLoss(), 1e-15);
        assertEquals(Math.exp(1.25), combined.perplexity(), 1e-12);
        assertEquals(3.4903429574618414, combined.perplexity(), 1e-12);
        assertEquals(1.25 / Math.log(2), combined.bitsPerToken(), 1e-15);
    }

    @Test
    void uniformModelOverVocabularyHasPerplexityEqualToVocabularySize() {
        // A model that spreads probability evenly over V tokens loses ln V nats on every token.
        int vocabulary = 50_257;
        LanguageModelMetrics uniform = LanguageModelMetrics.fromMeanLoss(Math.log(vocabulary), 1_000);

        assertEquals(vocabulary, uniform.perplexity(), 1e-6);
        assertEquals(Math.log(vocabulary) / Math.log(2), uniform.bitsPerToken(), 1e-12);
    }

    @Test
    void rejectsEmptyAndInvalidTotals() {
        assertThrows(IllegalStateException.class, LanguageModelMetrics.EMPTY::perplexity);
        assertThrows(IllegalArgumentException.class, () -> new LanguageModelMetrics(Double.NaN, 5));
        assertThrows(IllegalArgumentException.class, () -> new LanguageModelMetrics(-1, 5));
    }
}
