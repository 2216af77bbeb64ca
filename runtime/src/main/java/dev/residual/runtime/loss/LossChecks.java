package dev.residual.runtime.loss;

import java.lang.foreign.MemorySegment;

/** Argument checks shared by the losses; they allocate only when they throw. */
final class LossChecks {

    private LossChecks() {}

    static void shape(String rows, int count, int n) {
        if (count < 1) {
            throw new IllegalArgumentException(rows + " is " + count + "; it must be >= 1");
        }
        if (n < 1) {
            throw new IllegalArgumentException("n is " + n + "; a mean loss needs at least one sample");
        }
    }

    /** Fails unless {@code segment} holds {@code count} elements of {@code bytes} bytes from element {@code off}. */
    static void block(String what, MemorySegment segment, long off, long count, int bytes) {
        if (segment == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (off < 0 || off > segment.byteSize() / bytes || count > segment.byteSize() / bytes - off) {
            throw new IllegalArgumentException(what + ": " + count + " elements at offset " + off
                    + " do not fit in a segment of " + segment.byteSize() / bytes + " elements");
        }
    }
}
