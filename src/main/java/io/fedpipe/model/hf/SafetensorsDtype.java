package io.fedpipe.model.hf;

import java.util.Optional;

/**
 * The element types the safetensors format defines, with their sizes in bytes.
 *
 * <p>All of them are known so that a header can be checked (offsets against shape times size)
 * even for tensors FedPipe will not load; only {@link #widensToFloat32()} types are loaded.
 */
public enum SafetensorsDtype {
    BOOL(1),
    U8(1),
    I8(1),
    F8_E5M2(1),
    F8_E4M3(1),
    I16(2),
    U16(2),
    F16(2),
    BF16(2),
    I32(4),
    U32(4),
    F32(4),
    I64(8),
    U64(8),
    F64(8);

    private final int byteSize;

    SafetensorsDtype(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    /** True for the types FedPipe reads into float32 without loss: F32 as is, F16 and BF16 widened. */
    public boolean widensToFloat32() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** The dtype named exactly {@code name} as the format spells it (upper case), if any. */
    public static Optional<SafetensorsDtype> named(String name) {
        for (SafetensorsDtype d : values()) {
            if (d.name().equals(name)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }
}
