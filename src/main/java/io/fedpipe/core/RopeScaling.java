package io.fedpipe.core;

import java.util.Locale;

/**
 * How a Llama-family model stretches its rotary frequencies beyond the context it was trained on
 * (Hugging Face {@code rope_scaling}). See docs/model-formulas.md §RoPE.
 *
 * <ul>
 *   <li>{@link Type#LINEAR}: every inverse frequency divided by {@code factor} (position
 *       interpolation, Chen et al. 2023).
 *   <li>{@link Type#LLAMA3}: Llama 3.1's rule: wavelengths shorter than
 *       {@code original/highFreqFactor} are kept, longer than {@code original/lowFreqFactor} are
 *       divided by {@code factor}, and those between are interpolated smoothly.
 * </ul>
 *
 * @param originalMaxPositions {@code original_max_position_embeddings} (LLAMA3 only; 0 for LINEAR)
 */
public record RopeScaling(Type type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositions) {

    /** The two scaling rules FedPipe implements. */
    public enum Type {
        LINEAR,
        LLAMA3;

        public static Type parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "linear" -> LINEAR;
                case "llama3" -> LLAMA3;
                default -> throw new IllegalArgumentException("rope_scaling type '" + s
                        + "' is not supported; FedPipe implements 'linear' and 'llama3'");
            };
        }

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public RopeScaling {
        if (type == null) {
            throw new IllegalArgumentException("rope_scaling type is missing");
        }
        if (!(factor >= 1)) {
            throw new IllegalArgumentException("rope_scaling factor must be >= 1: " + factor);
        }
        if (type == Type.LLAMA3 && !(lowFreqFactor > 0 && highFreqFactor > lowFreqFactor && originalMaxPositions > 0)) {
            throw new IllegalArgumentException("llama3 rope_scaling needs 0 < low_freq_factor < high_freq_factor and "
                    + "original_max_position_embeddings > 0: " + lowFreqFactor + ", " + highFreqFactor + ", "
                    + originalMaxPositions);
        }
    }

    public static RopeScaling linear(double factor) {
        return new RopeScaling(Type.LINEAR, factor, 0, 0, 0);
    }

    /** Scales the inverse frequencies {@code 1/θ^(2i/d)} in place. */
    public void apply(double[] inverseFrequencies) {
        for (int i = 0; i < inverseFrequencies.length; i++) {
            double f = inverseFrequencies[i];
            if (type == Type.LINEAR) {
                inverseFrequencies[i] = f / factor;
                continue;
            }
            double wavelength = 2 * Math.PI / f;
            double lowFreqWavelength = originalMaxPositions / lowFreqFactor;
            double highFreqWavelength = originalMaxPositions / highFreqFactor;
            if (wavelength < highFreqWavelength) {
                continue;
            }
            if (wavelength > lowFreqWavelength) {
                inverseFrequencies[i] = f / factor;
                continue;
            }
            double smooth = (originalMaxPositions / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
            inverseFrequencies[i] = (1 - smooth) * f / factor + smooth * f;
        }
    }
}
