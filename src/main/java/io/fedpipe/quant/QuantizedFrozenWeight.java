package io.fedpipe.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedpipe.core.FrozenWeight;
import io.fedpipe.core.HostTensor;

/**
 * A frozen base matrix kept block-quantized on the device and decoded to float32 into the
 * caller's step scope each time a layer runs (QLoRA's "storage type vs compute type").
 */
public final class QuantizedFrozenWeight implements FrozenWeight {

    private final QuantizedWeight host;
    private final DeviceQuantizedWeight device;

    public QuantizedFrozenWeight(NDManager manager, QuantizedWeight weight) {
        this.host = weight;
        this.device = new DeviceQuantizedWeight(weight, manager);
    }

    @Override
    public NDArray materialize(NDManager scope) {
        return device.dequantize(scope);
    }

    @Override
    public Shape shape() {
        return device.shape();
    }

    @Override
    public long storedBytes() {
        return device.deviceBytes();
    }

    /** The decoded (lossy) values: what the forward pass has been computing with. */
    @Override
    public HostTensor toHost() {
        return host.dequantize();
    }

    @Override
    public String format() {
        return host.format().name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public void close() {
        device.close();
    }
}
