package io.fedpipe.round;

/**
 * How a node's model did on the node's own held-out split after its local training of a round:
 * the federated evaluation every node runs on data that never leaves it.
 *
 * @param examples examples scored; 0: the node has no local validation split (nothing was scored)
 * @param loss     mean loss per scored token (causal LM: completion tokens and EOS) or per example
 *                 (classifier); NaN when nothing was scored
 * @param accuracy share of examples classified right; NaN where it does not apply (a decoder)
 */
public record LocalEvaluation(int examples, double loss, double accuracy) {

    /** Nothing was scored. */
    public static final LocalEvaluation NONE = new LocalEvaluation(0, Double.NaN, Double.NaN);

    public LocalEvaluation {
        if (examples < 0) {
            throw new IllegalArgumentException("examples must be >= 0: " + examples);
        }
    }

    /** {@code exp(loss)}: the perplexity of a language model's loss (NaN when nothing was scored). */
    public double perplexity() {
        return Math.exp(loss);
    }
}
