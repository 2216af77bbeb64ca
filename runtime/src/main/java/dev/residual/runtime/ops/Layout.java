package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Moves tensors between the public sample-major order (N·C·H·W, what users hand in and get back) and the
 * channel-major layout the kernels use, and flattens a feature map into the feature vectors a dense layer reads.
 *
 * <p>Every method takes {@code C} channels (features), an {@code H×W} image (1×1 for vectors) and {@code n}, the
 * samples in this batch. None of these kernels works in place: the output must not overlap the input.
 */
public final class Layout {

    private Layout() {}

    /**
     * Sample-major {@code n×C×H×W} (PyTorch's NCHW) to channel-major {@code C×(n·H·W)}.
     *
     * <p>Each sample's channel is one contiguous run of {@code H·W} floats on both sides, so this is {@code n·C}
     * block copies. With {@code H = W = 1} it turns {@code n×F} rows into {@code F×n} feature vectors.
     *
     * @param in  {@code n·C·H·W} floats, element {@code (s, c, y, x)} at {@code ((s·C + c)·H + y)·W + x}
     * @param out {@code C·n·H·W} floats, element {@code (s, c, y, x)} at {@code c·n·H·W + s·H·W + y·W + x}
     */
    public static void nchwToChannelMajor(MemorySegment in, long inOff, int C, int H, int W, int n,
                                          MemorySegment out, long outOff) {
        int hw = H * W;
        long row = (long) n * hw;
        for (int s = 0; s < n; s++) {
            for (int c = 0; c < C; c++) {
                copy(in, inOff + ((long) s * C + c) * hw, out, outOff + c * row + (long) s * hw, hw);
            }
        }
    }

    /**
     * Channel-major {@code C×(n·H·W)} back to sample-major {@code n×C×H×W}: the inverse of
     * {@link #nchwToChannelMajor}. With {@code H = W = 1} it turns {@code F×n} feature vectors (a dense layer's
     * output) into {@code n×F} rows, one per sample, as a user expects logits.
     *
     * @param in  {@code C·n·H·W} floats, channel-major
     * @param out {@code n·C·H·W} floats, sample-major
     */
    public static void channelMajorToNchw(MemorySegment in, long inOff, int C, int H, int W, int n,
                                          MemorySegment out, long outOff) {
        int hw = H * W;
        long row = (long) n * hw;
        for (int c = 0; c < C; c++) {
            for (int s = 0; s < n; s++) {
                copy(in, inOff + c * row + (long) s * hw, out, outOff + ((long) s * C + c) * hw, hw);
            }
        }
    }

    /**
     * Flattens a channel-major feature map {@code C×(n·H·W)} into {@code (C·H·W)×n} feature vectors, feature
     * {@code c·H·W + y·W + x} of sample {@code s} at {@code (c·H·W + y·W + x)·n + s} — the feature order of
     * PyTorch's {@code flatten(1)} on NCHW, so a dense layer's weights load unchanged.
     *
     * <p>Per channel this is a transpose of an {@code n×(H·W)} block into {@code (H·W)×n}.
     *
     * @param in  {@code C·n·H·W} floats, channel-major
     * @param out {@code C·H·W·n} floats, feature-major
     */
    public static void flatten(MemorySegment in, long inOff, int C, int H, int W, int n,
                               MemorySegment out, long outOff) {
        int hw = H * W;
        long row = (long) n * hw;
        for (int c = 0; c < C; c++) {
            long src = inOff + c * row;
            long dst = outOff + c * row; // channel c's features start at c·hw·n in the output too
            for (int p = 0; p < hw; p++) {
                // One output row (feature c·hw + p) gathers that pixel from every sample.
                long feature = dst + (long) p * n;
                for (int s = 0; s < n; s++) {
                    out.setAtIndex(JAVA_FLOAT, feature + s, in.getAtIndex(JAVA_FLOAT, src + (long) s * hw + p));
                }
            }
        }
    }

    /**
     * The inverse of {@link #flatten}: {@code (C·H·W)×n} feature vectors back to a channel-major {@code C×(n·H·W)}
     * map. The backward of flatten sends gradients this way (see the overload with {@code accumulate}); a model may
     * also reshape a vector into a map.
     *
     * @param in  {@code C·H·W·n} floats, feature-major
     * @param out {@code C·n·H·W} floats, channel-major
     */
    public static void unflatten(MemorySegment in, long inOff, int C, int H, int W, int n,
                                 MemorySegment out, long outOff) {
        unflatten(in, inOff, C, H, W, n, out, outOff, false);
    }

    /**
     * {@link #unflatten}, writing or adding: the backward of {@link #flatten}, which sends the gradient of the
     * feature vectors back to the map's gradient, {@code dIn = unflatten(dOut)} or {@code dIn += unflatten(dOut)}.
     *
     * @param in         {@code C·H·W·n} floats, feature-major (the gradient of flatten's output)
     * @param C          channels
     * @param H          height
     * @param W          width
     * @param n          samples in this batch
     * @param out        {@code C·n·H·W} floats, channel-major (the gradient of flatten's input)
     * @param accumulate {@code false} overwrites {@code out}, {@code true} adds onto what it holds
     */
    public static void unflatten(MemorySegment in, long inOff, int C, int H, int W, int n,
                                 MemorySegment out, long outOff, boolean accumulate) {
        int hw = H * W;
        long row = (long) n * hw;
        for (int c = 0; c < C; c++) {
            long src = inOff + c * row;
            long dst = outOff + c * row;
            for (int s = 0; s < n; s++) {
                // One sample's pixels are contiguous in the output; read them with stride n.
                long pixels = dst + (long) s * hw;
                long from = src + s;
                if (accumulate) {
                    for (int p = 0; p < hw; p++) {
                        float v = in.getAtIndex(JAVA_FLOAT, from + (long) p * n);
                        out.setAtIndex(JAVA_FLOAT, pixels + p, out.getAtIndex(JAVA_FLOAT, pixels + p) + v);
                    }
                } else {
                    for (int p = 0; p < hw; p++) {
                        out.setAtIndex(JAVA_FLOAT, pixels + p, in.getAtIndex(JAVA_FLOAT, from + (long) p * n));
                    }
                }
            }
        }
    }

    /**
     * {@link #flatten}, writing or adding: the backward of {@link #unflatten} (a vector reshaped into a map),
     * {@code dIn = flatten(dOut)} or {@code dIn += flatten(dOut)}.
     *
     * @param in         {@code C·n·H·W} floats, channel-major (the gradient of unflatten's output)
     * @param C          channels
     * @param H          height
     * @param W          width
     * @param n          samples in this batch
     * @param out        {@code C·H·W·n} floats, feature-major (the gradient of unflatten's input)
     * @param accumulate {@code false} overwrites {@code out}, {@code true} adds onto what it holds
     */
    public static void flatten(MemorySegment in, long inOff, int C, int H, int W, int n,
                               MemorySegment out, long outOff, boolean accumulate) {
        if (!accumulate) {
            flatten(in, inOff, C, H, W, n, out, outOff);
            return;
        }
        int hw = H * W;
        long row = (long) n * hw;
        for (int c = 0; c < C; c++) {
            long src = inOff + c * row;
            long dst = outOff + c * row;
            for (int p = 0; p < hw; p++) {
                long feature = dst + (long) p * n;
                for (int s = 0; s < n; s++) {
                    float v = in.getAtIndex(JAVA_FLOAT, src + (long) s * hw + p);
                    out.setAtIndex(JAVA_FLOAT, feature + s, out.getAtIndex(JAVA_FLOAT, feature + s) + v);
                }
            }
        }
    }

    /**
     * Copies {@code count} floats. On JDK 25 a float loop over memory segments stays scalar (the float accessors move
     * bits through int registers, which C2's SuperWord does not vectorize), while {@link MemorySegment#copy} is a
     * memmove. Measured on this project's machine: the bulk call costs about 9 ns for anything up to 64 floats, the
     * loop about 1.5 ns a float plus its set-up, so the loop wins only for the tiniest runs (vectors, {@code hw = 1}).
     */
    static void copy(MemorySegment from, long fromOff, MemorySegment to, long toOff, int count) {
        if (count < 4) {
            for (int i = 0; i < count; i++) {
                to.setAtIndex(JAVA_FLOAT, toOff + i, from.getAtIndex(JAVA_FLOAT, fromOff + i));
            }
        } else {
            MemorySegment.copy(from, JAVA_FLOAT, fromOff * Float.BYTES, to, JAVA_FLOAT, toOff * Float.BYTES, count);
        }
    }
}
