package io.fedpipe.quant;

import io.fedpipe.core.FrozenWeightFactory;

/** Chooses how the frozen linear weights of a model are stored, from a bit-width name. */
public final class BaseQuantization {

    private BaseQuantization() {}

    /** {@code fp32} keeps dense weights; every other format quantizes with block size 64. */
    public static FrozenWeightFactory factory(String bits) {
        return factory(QuantFormat.parse(bits), QuantOptions.defaults());
    }

    public static FrozenWeightFactory factory(QuantFormat format, QuantOptions options) {
        if (format == QuantFormat.FP32) {
            return FrozenWeightFactory.dense();
        }
        return (manager, id, weight) ->
                new QuantizedFrozenWeight(manager, QuantizedWeight.quantize(weight, format, options));
    }
}
