package dev.residual.runtime.optim;

import java.lang.foreign.MemorySegment;

/** Argument checks shared by the optimizers; they allocate only when they throw. */
final class Checks {

    private Checks() {}

    /** Fails unless {@code segment} holds {@code floats} floats from float offset {@code off}. */
    static void block(String what, MemorySegment segment, long off, long floats) {
        if (segment == null || off < 0 || floats < 0 || off > Long.MAX_VALUE / Float.BYTES - floats
                || (off + floats) * Float.BYTES > segment.byteSize()) {
            throw new IllegalArgumentException(blockMessage(what, segment, off, floats));
        }
    }

    /** Built only on failure: a message concatenated eagerly would allocate on every call. */
    private static String blockMessage(String what, MemorySegment segment, long off, long floats) {
        if (segment == null) {
            return what + " is null";
        }
        return what + ": " + floats + " floats at offset " + off + " do not fit in a segment of "
                + segment.byteSize() / Float.BYTES + " floats";
    }

    static void update(MemorySegment params, long paramsOff, MemorySegment grads, long gradsOff, MemorySegment state,
                       long stateOff, long floats, int slots, long step, double lr) {
        if (floats < 0) {
            throw new IllegalArgumentException("floats is " + floats + "; it must be >= 0");
        }
        if (step < 1) {
            throw new IllegalArgumentException("step is " + step + "; it counts updates from 1 (the first update is"
                    + " step 1)");
        }
        if (!(lr >= 0) || lr == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("learning rate " + lr + " is not a finite number >= 0");
        }
        block("params", params, paramsOff, floats);
        block("grads", grads, gradsOff, floats);
        if (slots > 0) {
            if (floats > Long.MAX_VALUE / slots) {
                throw new IllegalArgumentException("floats " + floats + " is too large");
            }
            long stateFloats = slots * floats;
            if (state == null || stateOff < 0 || stateOff > Long.MAX_VALUE / Float.BYTES - stateFloats
                    || (stateOff + stateFloats) * Float.BYTES > state.byteSize()) {
                throw new IllegalArgumentException(blockMessage("state (" + slots + " slots of " + floats
                        + " floats)", state, stateOff, stateFloats));
            }
        }
    }

    static double nonNegative(String name, double value) {
        if (!(value >= 0) || value == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException(name + " is " + value + "; it must be a finite number >= 0");
        }
        return value;
    }
}
