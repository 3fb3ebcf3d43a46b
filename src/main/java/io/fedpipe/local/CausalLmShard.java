package io.fedpipe.local;

import io.fedpipe.data.GenerationExample;
import io.fedpipe.data.SeededRandom;
import io.fedpipe.tokenize.TextTokenizer;
import io.fedpipe.train.CausalLmFineTuning;
import java.util.ArrayList;
import java.util.List;

/**
 * One node's private data for a causal-LM job, tokenized once when the job is prepared: the
 * sequences it trains on and the ones it holds out to evaluate itself each round. A sequence is
 * {@code prompt + completion + EOS} with the loss on the completion and EOS
 * ({@link CausalLmFineTuning#encodeAll}).
 *
 * @param train      training sequences, at least one
 * @param validation the node's held-out sequences (may be empty: no local evaluation)
 * @param tooLong    examples of the node's shard left out for being longer than the job's max length
 */
public record CausalLmShard(List<CausalLmFineTuning.Encoded> train, List<CausalLmFineTuning.Encoded> validation,
        int tooLong) {

    /** Share of a node's examples it holds out for its own validation. */
    public static final double VALIDATION_SHARE = 0.1;

    public CausalLmShard {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
    }

    /** Number of training sequences: the node's weight in the average. */
    public int size() {
        return train.size();
    }

    /**
     * Tokenizes a node's examples and holds out {@link #VALIDATION_SHARE} of them (seeded by the job's
     * seed and the node, at least one when the node has 10 or more, none below) for local validation.
     *
     * @throws IllegalArgumentException when no example fits {@code maxLength}
     */
    public static CausalLmShard of(String nodeId, List<GenerationExample> examples, TextTokenizer tokenizer,
            long eosId, int maxLength, long seed) {
        int[] order = SeededRandom.forPurpose(seed * 31 + nodeId.hashCode(), "local-validation")
                .permutation(examples.size());
        int held = examples.size() >= 10 ? (int) Math.max(1, Math.round(examples.size() * VALIDATION_SHARE)) : 0;
        List<GenerationExample> trainPart = new ArrayList<>();
        List<GenerationExample> validationPart = new ArrayList<>();
        for (int i = 0; i < order.length; i++) {
            (i < held ? validationPart : trainPart).add(examples.get(order[i]));
        }
        List<CausalLmFineTuning.Encoded> train = new ArrayList<>();
        List<CausalLmFineTuning.Encoded> validation = new ArrayList<>();
        int tooLong = CausalLmFineTuning.encodeAll(tokenizer, trainPart, eosId, maxLength, train);
        tooLong += CausalLmFineTuning.encodeAll(tokenizer, validationPart, eosId, maxLength, validation);
        if (train.isEmpty()) {
            throw new IllegalArgumentException("node " + nodeId + " has no training example of at most " + maxLength
                    + " tokens (" + examples.size() + " examples, " + tooLong + " too long)");
        }
        return new CausalLmShard(train, validation, tooLong);
    }
}
