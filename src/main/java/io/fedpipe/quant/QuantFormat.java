package io.fedpipe.quant;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How a frozen base weight is stored: a plain float format or a block-wise quantized one.
 *
 * <p>{@link #INT8} and {@link #NF4} are block formats: each block of {@link QuantOptions#blockSize()}
 * values shares one absmax scale (QLoRA, Dettmers et al. 2023, §2). The float formats keep one
 * value per element and ignore the block options.
 */
public enum QuantFormat {
    FP32(32, false),
    BF16(16, false),
    FP16(16, false),
    INT8(8, true),
    NF4(4, true);

    private final int bitsPerValue;
    private final boolean blockScaled;

    QuantFormat(int bitsPerValue, boolean blockScaled) {
        this.bitsPerValue = bitsPerValue;
        this.blockScaled = blockScaled;
    }

    /** Bits of the code of one element, not counting the per-block scales. */
    public int bitsPerValue() {
        return bitsPerValue;
    }

    /** Whether values are stored as codes relative to a per-block absmax scale. */
    public boolean blockScaled() {
        return blockScaled;
    }

    /** The lower-case name used in configuration and on the command line. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Reads a format name, ignoring case and surrounding blanks.
     *
     * @throws IllegalArgumentException naming the valid values when {@code text} is none of them
     */
    public static QuantFormat parse(String text) {
        String wanted = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        for (QuantFormat format : values()) {
            if (format.configName().equals(wanted)) {
                return format;
            }
        }
        throw new IllegalArgumentException("unknown quantization format '" + text + "'; valid values: " + validNames());
    }

    private static String validNames() {
        return Arrays.stream(values()).map(QuantFormat::configName).collect(Collectors.joining(", "));
    }
}
