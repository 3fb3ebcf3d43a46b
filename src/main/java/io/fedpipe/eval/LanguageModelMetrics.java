package io.fedpipe.eval;

import java.util.Locale;

/**
 * Language-model quality from the token-level cross-entropy: mean loss per token (in nats) and
 * perplexity = exp(mean loss).
 *
 * <p>Batches and nodes are combined by summing losses and token counts, never by averaging
 * batch means: a batch of 10 tokens must not weigh as much as one of 1,000. The perplexity of
 * the combined set is exp(Σ loss / Σ tokens).
 *
 * @param totalLoss sum of per-token negative log-likelihoods, natural log
 * @param tokens number of tokens scored
 */
public record LanguageModelMetrics(double totalLoss, long tokens) {

    public LanguageModelMetrics {
        if (tokens < 0) {
            throw new IllegalArgumentException("token count must be >= 0, got " + tokens);
        }
        if (!Double.isFinite(totalLoss) || totalLoss < 0) {
            throw new IllegalArgumentException("total loss must be finite and >= 0, got " + totalLoss);
        }
    }

    /** No tokens yet: the identity of {@link #plus}. */
    public static final LanguageModelMetrics EMPTY = new LanguageModelMetrics(0, 0);

    /** From a batch's mean token loss (what a loss function returns) and its token count. */
    public static LanguageModelMetrics fromMeanLoss(double meanLoss, long tokens) {
        return new LanguageModelMetrics(meanLoss * tokens, tokens);
    }

    /** Both sets of tokens together. */
    public LanguageModelMetrics plus(LanguageModelMetrics other) {
        return new LanguageModelMetrics(totalLoss + other.totalLoss, Math.addExact(tokens, other.tokens));
    }

    /** Mean loss per token in nats; throws when no token was scored. */
    public double meanLoss() {
        if (tokens == 0) {
            throw new IllegalStateException("no tokens scored");
        }
        return totalLoss / tokens;
    }

    public double perplexity() {
        return Math.exp(meanLoss());
    }

    /** Mean loss in bits per token (nats / ln 2). */
    public double bitsPerToken() {
        return meanLoss() / Math.log(2);
    }

    @Override
    public String toString() {
        return tokens == 0 ? "LanguageModelMetrics[no tokens]"
                : String.format(Locale.ROOT, "LanguageModelMetrics[tokens=%d, meanLoss=%.4f, perplexity=%.3f]",
                        tokens, meanLoss(), perplexity());
    }
}
