package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Batch normalization (PyTorch's {@code BatchNorm2d}, and {@code BatchNorm1d} on vectors with {@code hw = 1}).
 *
 * <p>In the channel-major layout a channel is one contiguous row of {@code n·hw} floats, so normalizing it is a
 * single scale-and-shift over contiguous memory; the residual add and the ReLU that follow a norm in a residual
 * block ride along in the same pass instead of reading the activations two more times.
 */
public final class BatchNorm {

    private BatchNorm() {}

    /**
     * Inference forward with the running statistics, fused with an optional residual add and ReLU:
     * {@code out = relu?((in − mean[c]) · gamma[c] / sqrt(var[c] + eps) + beta[c] + residual)}.
     *
     * @param in       input, channel-major {@code C×(n·hw)}
     * @param C        channels
     * @param hw       {@code H·W}, 1 for vectors
     * @param n        samples in this batch
     * @param gamma    {@code C} scales (PyTorch {@code weight})
     * @param beta     {@code C} shifts (PyTorch {@code bias})
     * @param mean     {@code C} running means
     * @param var      {@code C} running (unbiased, as PyTorch keeps them) variances
     * @param eps      added to the variance, PyTorch's default 1e-5
     * @param residual {@code C×(n·hw)} added after the norm, or {@code null}
     * @param relu     whether to clamp negative results to 0 (after the residual add)
     * @param out      {@code C×(n·hw)}; may be {@code in} or {@code residual} (in place)
     */
    public static void inference(MemorySegment in, long inOff, int C, int hw, int n,
                                 MemorySegment gamma, long gOff, MemorySegment beta, long bOff,
                                 MemorySegment mean, long mOff, MemorySegment var, long vOff, float eps,
                                 MemorySegment residual, long rOff, boolean relu,
                                 MemorySegment out, long outOff) {
        int length = n * hw;
        for (int c = 0; c < C; c++) {
            // The per-channel factor in double so that 1/sqrt rounds once.
            float scale = (float) (gamma.getAtIndex(JAVA_FLOAT, gOff + c)
                    / Math.sqrt((double) var.getAtIndex(JAVA_FLOAT, vOff + c) + eps));
            float center = mean.getAtIndex(JAVA_FLOAT, mOff + c);
            float shift = beta.getAtIndex(JAVA_FLOAT, bOff + c);
            long row = (long) c * length;
            normalizeRow(in, inOff + row, center, scale, shift, residual, rOff + row, relu, out, outOff + row, length);
        }
    }

    /**
     * {@code out = relu?((in − center)·scale + shift (+ residual))} over one row. Subtracting the mean first (rather
     * than folding it into the shift) keeps outputs near 0 accurate: {@code in − center} is exact when the two are
     * close. The four variants keep the branches out of the loops so each body vectorizes.
     */
    static void normalizeRow(MemorySegment in, long x, float center, float scale, float shift,
                             MemorySegment residual, long r, boolean relu, MemorySegment out, long y, int length) {
        if (residual == null) {
            if (relu) {
                for (int i = 0; i < length; i++) {
                    float v = (in.getAtIndex(JAVA_FLOAT, x + i) - center) * scale + shift;
                    out.setAtIndex(JAVA_FLOAT, y + i, Math.max(v, 0f));
                }
            } else {
                for (int i = 0; i < length; i++) {
                    out.setAtIndex(JAVA_FLOAT, y + i, (in.getAtIndex(JAVA_FLOAT, x + i) - center) * scale + shift);
                }
            }
        } else {
            if (relu) {
                for (int i = 0; i < length; i++) {
                    float v = (in.getAtIndex(JAVA_FLOAT, x + i) - center) * scale + shift
                            + residual.getAtIndex(JAVA_FLOAT, r + i);
                    out.setAtIndex(JAVA_FLOAT, y + i, Math.max(v, 0f));
                }
            } else {
                for (int i = 0; i < length; i++) {
                    float v = (in.getAtIndex(JAVA_FLOAT, x + i) - center) * scale + shift
                            + residual.getAtIndex(JAVA_FLOAT, r + i);
                    out.setAtIndex(JAVA_FLOAT, y + i, v);
                }
            }
        }
    }

    // Training forward and backward go here: batch statistics as per-channel sums over each contiguous row, the
    // running-statistics update, and the gradients of gamma, beta and the input (through the fused ReLU/residual).
}
