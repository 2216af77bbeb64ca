package dev.residual.runtime.ops;

import java.lang.foreign.MemorySegment;

/**
 * Concatenation along channels, for U-Net skips: {@code out = [a; b]}, PyTorch's {@code torch.cat([a, b], dim=1)}.
 *
 * <p>Maps are channel-major {@code C×(n·hw)}, so all channels of a batch are one contiguous run and the concatenation
 * is two bulk copies: {@code a}'s {@code Ca·n·hw} floats, then {@code b}'s right after. It could be free if the two
 * producers wrote into the halves of one buffer, but the second half starts at {@code Ca·n·hw}, which moves with the
 * run-time batch {@code n} while the planner's offsets are fixed for the largest batch; the copy (a memmove of a few
 * hundred KB per step for the sample U-Net) was kept instead of giving the channel rows a batch-independent stride.
 */
public final class Concat {

    private Concat() {}

    /**
     * {@code out = [a; b]} along channels.
     *
     * @param a   the first {@code Ca} channels, channel-major {@code Ca×(n·hw)}
     * @param b   the next {@code Cb} channels, {@code Cb×(n·hw)}
     * @param hw  pixels per channel and sample
     * @param out {@code (Ca + Cb)×(n·hw)}; must not overlap the inputs
     */
    public static void forward(MemorySegment a, long aOff, int Ca, MemorySegment b, long bOff, int Cb, int hw, int n,
                               MemorySegment out, long outOff) {
        check(Ca, Cb, hw, n);
        Layout.copy(a, aOff, out, outOff, Ca * n * hw);
        Layout.copy(b, bOff, out, outOff + (long) Ca * n * hw, Cb * n * hw);
    }

    /**
     * The gradients of both inputs: the first {@code Ca} channels of {@code dOut} to {@code dA}, the rest to
     * {@code dB}, each overwriting or adding onto what its destination holds.
     *
     * @param dA          {@code Ca×(n·hw)}, or {@code null} when that input needs no gradient (the model input)
     * @param accumulateA {@code true} adds onto {@code dA}, {@code false} overwrites it
     * @param dB          {@code Cb×(n·hw)}, or {@code null}
     * @param accumulateB likewise for {@code dB}
     */
    public static void backward(MemorySegment dOut, long dOutOff, int Ca, int Cb, int hw, int n,
                                MemorySegment dA, long dAOff, boolean accumulateA,
                                MemorySegment dB, long dBOff, boolean accumulateB) {
        check(Ca, Cb, hw, n);
        if (dA != null) {
            Elementwise.accumulate(dOut, dOutOff, Ca, hw, n, dA, dAOff, !accumulateA);
        }
        if (dB != null) {
            Elementwise.accumulate(dOut, dOutOff + (long) Ca * n * hw, Cb, hw, n, dB, dBOff, !accumulateB);
        }
    }

    private static void check(int Ca, int Cb, int hw, int n) {
        if (Ca < 1 || Cb < 1 || hw < 1 || n < 1) {
            throw new IllegalArgumentException("need Ca, Cb, hw, n ≥ 1; got Ca " + Ca + ", Cb " + Cb + ", hw " + hw
                    + ", n " + n);
        }
    }
}
