package io.fedpipe.generate;

/**
 * How to decode.
 *
 * @param maxNewTokens     tokens generated at most per prompt
 * @param beams            1 = greedy; more = beam search of that width
 * @param lengthPenalty    beam search ranks finished hypotheses by {@code logprob / length^p}
 *                         (length = generated tokens, EOS included), as Hugging Face does
 * @param noRepeatNgram    0 = off; n = no n-gram occurs twice in the generated tokens
 * @param eosId            stops a sequence; -1 = none
 */
public record DecodingSettings(int maxNewTokens, int beams, double lengthPenalty, int noRepeatNgram, long eosId) {

    public DecodingSettings {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max new tokens must be >= 1: " + maxNewTokens);
        }
        if (beams < 1 || beams > 64) {
            throw new IllegalArgumentException("beams must be in 1..64: " + beams);
        }
        if (!Double.isFinite(lengthPenalty)) {
            throw new IllegalArgumentException("length penalty must be finite: " + lengthPenalty);
        }
        if (noRepeatNgram < 0) {
            throw new IllegalArgumentException("no-repeat n-gram size must be >= 0: " + noRepeatNgram);
        }
    }

    public static DecodingSettings greedy(int maxNewTokens, long eosId) {
        return new DecodingSettings(maxNewTokens, 1, 1.0, 0, eosId);
    }

    /** The E2E setting of the LoRA paper (Hu et al. 2021, §E2E): beam 10, length penalty 0.9, no-repeat 4. */
    public static DecodingSettings loraPaperE2e(int maxNewTokens, long eosId) {
        return new DecodingSettings(maxNewTokens, 10, 0.9, 4, eosId);
    }
}
