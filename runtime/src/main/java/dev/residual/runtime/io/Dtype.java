package dev.residual.runtime.io;

import java.lang.foreign.ValueLayout;

/**
 * The element types a safetensors header may name, spelled as in the file, with their size in bytes. Residual
 * computes in {@link #F32}; the others can be listed, copied as raw values and written, so that a PyTorch checkpoint
 * holding, say, an I64 {@code num_batches_tracked} still opens.
 */
public enum Dtype {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    private final int byteSize;

    Dtype(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /**
     * A layout of one element's bytes in native order, unaligned: a file's data area need not be aligned, and copying
     * between this and {@code withOrder(LITTLE_ENDIAN)} converts to and from the file's order on any platform.
     */
    ValueLayout layout() {
        return switch (byteSize) {
            case 1 -> ValueLayout.JAVA_BYTE;
            case 2 -> ValueLayout.JAVA_SHORT_UNALIGNED;
            case 4 -> ValueLayout.JAVA_INT_UNALIGNED;
            default -> ValueLayout.JAVA_LONG_UNALIGNED;
        };
    }
}
