package io.fedpipe.profile;

import io.fedpipe.quant.QuantFormat;

/** One training configuration a node can be timed at: base format, batch size, LoRA rank. */
public record ProfilePoint(QuantFormat format, int batch, int rank) {

    public ProfilePoint {
        if (format == null) {
            throw new IllegalArgumentException("profile point: format is missing");
        }
        if (batch <= 0 || rank <= 0) {
            throw new IllegalArgumentException("profile point: batch and rank must be positive: " + batch + ", " + rank);
        }
    }

    @Override
    public String toString() {
        return format.configName() + " b" + batch + " r" + rank;
    }
}
