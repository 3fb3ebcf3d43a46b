package io.fedpipe.quant;

/**
 * Settings of block-wise quantization.
 *
 * @param blockSize number of consecutive elements (row-major) that share one absmax scale; QLoRA
 *     uses 64. It must be positive and even so that no NF4 byte (two 4-bit codes) straddles two
 *     blocks; the rule holds for every format to keep one contract.
 * @param doubleQuantScales whether the per-block scales are themselves quantized to 8 bits in groups
 *     of {@value DoubleQuantizedScales#GROUP_SIZE} (QLoRA §3 "Double Quantization"); ignored by
 *     formats without scales
 */
public record QuantOptions(int blockSize, boolean doubleQuantScales) {

    /** QLoRA's block size for the weights. */
    public static final int DEFAULT_BLOCK_SIZE = 64;

    public QuantOptions {
        if (blockSize <= 0 || blockSize % 2 != 0) {
            throw new IllegalArgumentException("quantization blockSize must be a positive even number"
                    + " (NF4 packs two codes per byte and a byte must not straddle two blocks), got " + blockSize);
        }
    }

    /** Block size 64, no double quantization. */
    public static QuantOptions defaults() {
        return new QuantOptions(DEFAULT_BLOCK_SIZE, false);
    }

    /** Block size 64 with double-quantized scales, QLoRA's setting. */
    public static QuantOptions qlora() {
        return new QuantOptions(DEFAULT_BLOCK_SIZE, true);
    }
}
