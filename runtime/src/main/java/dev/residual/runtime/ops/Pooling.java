package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Max, average and global average pooling over channel-major feature maps. Windows are {@code K×K} with the same
 * stride and padding on both axes and PyTorch's floor rounding ({@code ceil_mode=False}); output sizes come from
 * {@link Conv2d#outputSize}.
 *
 * <p>Each window is clipped to the image instead of reading padding, so the padding never reaches a result: for max
 * pooling that is padding with −∞, for average pooling padding with zeros that still count in the divisor.
 * The output must not overlap the input.
 */
public final class Pooling {

    private Pooling() {}

    /**
     * Max pooling (PyTorch's {@code MaxPool2d(K, stride, pad)}): each output is the largest input in its window, padding
     * excluded. NaN inputs propagate, as in PyTorch.
     *
     * @param in     input map, channel-major {@code C×(n·H·W)}
     * @param C      channels
     * @param H      input height
     * @param W      input width
     * @param n      samples in this batch
     * @param K      window height and width
     * @param stride step between windows
     * @param pad    implicit −∞ padding on every side, at most {@code K/2} (as PyTorch requires, so that every window
     *               holds at least one real pixel)
     * @param out    output map, channel-major {@code C×(n·Ho·Wo)}
     */
    public static void maxPool(MemorySegment in, long inOff, int C, int H, int W, int n, int K, int stride, int pad,
                               MemorySegment out, long outOff) {
        checkPadding(K, pad);
        int Ho = Conv2d.outputSize(H, K, stride, pad);
        int Wo = Conv2d.outputSize(W, K, stride, pad);
        long images = (long) C * n; // channel c of sample s is image c·n + s in both layouts
        for (long image = 0; image < images; image++) {
            long src = inOff + image * H * W;
            long dst = outOff + image * Ho * Wo;
            for (int oy = 0; oy < Ho; oy++) {
                int y0 = Math.max(0, oy * stride - pad), y1 = Math.min(H, oy * stride - pad + K);
                for (int ox = 0; ox < Wo; ox++) {
                    int x0 = Math.max(0, ox * stride - pad), x1 = Math.min(W, ox * stride - pad + K);
                    float max = Float.NEGATIVE_INFINITY;
                    for (int y = y0; y < y1; y++) {
                        long line = src + (long) y * W;
                        for (int x = x0; x < x1; x++) {
                            max = Math.max(max, in.getAtIndex(JAVA_FLOAT, line + x));
                        }
                    }
                    out.setAtIndex(JAVA_FLOAT, dst + (long) oy * Wo + ox, max);
                }
            }
        }
    }

    /**
     * Average pooling (PyTorch's {@code AvgPool2d(K, stride, pad)} with its defaults {@code count_include_pad=True},
     * {@code ceil_mode=False}): each output is the sum of the real pixels in its window divided by {@code K·K}, padding
     * counting as zeros.
     *
     * @param in     input map, channel-major {@code C×(n·H·W)}
     * @param K      window height and width
     * @param stride step between windows
     * @param pad    zero padding on every side, at most {@code K/2} (as PyTorch requires)
     * @param out    output map, channel-major {@code C×(n·Ho·Wo)}
     */
    public static void averagePool(MemorySegment in, long inOff, int C, int H, int W, int n, int K, int stride,
                                   int pad, MemorySegment out, long outOff) {
        checkPadding(K, pad);
        int Ho = Conv2d.outputSize(H, K, stride, pad);
        int Wo = Conv2d.outputSize(W, K, stride, pad);
        float inverseArea = 1f / (K * K);
        long images = (long) C * n;
        for (long image = 0; image < images; image++) {
            long src = inOff + image * H * W;
            long dst = outOff + image * Ho * Wo;
            for (int oy = 0; oy < Ho; oy++) {
                int y0 = Math.max(0, oy * stride - pad), y1 = Math.min(H, oy * stride - pad + K);
                for (int ox = 0; ox < Wo; ox++) {
                    int x0 = Math.max(0, ox * stride - pad), x1 = Math.min(W, ox * stride - pad + K);
                    float sum = 0;
                    for (int y = y0; y < y1; y++) {
                        long line = src + (long) y * W;
                        for (int x = x0; x < x1; x++) {
                            sum += in.getAtIndex(JAVA_FLOAT, line + x);
                        }
                    }
                    out.setAtIndex(JAVA_FLOAT, dst + (long) oy * Wo + ox, sum * inverseArea);
                }
            }
        }
    }

    /**
     * Global average pooling (PyTorch's {@code AdaptiveAvgPool2d(1)} then {@code flatten(1)}): the mean of each
     * sample's channel, giving feature vectors a dense layer reads directly.
     *
     * @param in  input map, channel-major {@code C×(n·hw)}
     * @param C   channels
     * @param hw  {@code H·W}
     * @param n   samples in this batch
     * @param out {@code C×n} feature vectors, element {@code (s, c)} at {@code c·n + s}
     */
    public static void globalAveragePool(MemorySegment in, long inOff, int C, int hw, int n,
                                         MemorySegment out, long outOff) {
        long images = (long) C * n; // image c·n + s is exactly output element c·n + s
        for (long image = 0; image < images; image++) {
            long src = inOff + image * hw;
            double sum = 0;
            for (int p = 0; p < hw; p++) {
                sum += in.getAtIndex(JAVA_FLOAT, src + p);
            }
            out.setAtIndex(JAVA_FLOAT, outOff + image, (float) (sum / hw));
        }
    }

    /**
     * Max pooling backward: each output's gradient goes to the input pixel that was its window's maximum, recomputed
     * here from the input with PyTorch's rule (the first maximum in row-major window order wins; a NaN, which the
     * forward propagates, takes the gradient). Pixels that are the maximum of several overlapping windows receive
     * the sum of their gradients, the others 0.
     *
     * @param in         the forward's input, channel-major {@code C×(n·H·W)}
     * @param C          channels
     * @param H          input height
     * @param W          input width
     * @param n          samples in this batch
     * @param K          window height and width
     * @param stride     step between windows
     * @param pad        implicit −∞ padding on every side, at most {@code K/2}
     * @param dOut       gradient of the output, channel-major {@code C×(n·Ho·Wo)}
     * @param dIn        {@code C×(n·H·W)} floats receiving the input gradient; must not overlap {@code in} or
     *                   {@code dOut}
     * @param accumulate {@code false} overwrites {@code dIn}, {@code true} adds the gradient to what it holds
     */
    public static void maxPoolBackward(MemorySegment in, long inOff, int C, int H, int W, int n, int K, int stride,
                                       int pad, MemorySegment dOut, long dOutOff,
                                       MemorySegment dIn, long dInOff, boolean accumulate) {
        checkPadding(K, pad);
        int Ho = Conv2d.outputSize(H, K, stride, pad);
        int Wo = Conv2d.outputSize(W, K, stride, pad);
        long images = (long) C * n;
        for (long image = 0; image < images; image++) {
            long src = inOff + image * H * W;
            long dst = dInOff + image * H * W;
            long grad = dOutOff + image * Ho * Wo;
            if (!accumulate) {
                zero(dIn, dst, H * W);
            }
            for (int oy = 0; oy < Ho; oy++) {
                int y0 = Math.max(0, oy * stride - pad), y1 = Math.min(H, oy * stride - pad + K);
                for (int ox = 0; ox < Wo; ox++) {
                    int x0 = Math.max(0, ox * stride - pad), x1 = Math.min(W, ox * stride - pad + K);
                    long best = (long) y0 * W + x0;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int y = y0; y < y1; y++) {
                        long line = (long) y * W;
                        for (int x = x0; x < x1; x++) {
                            float v = in.getAtIndex(JAVA_FLOAT, src + line + x);
                            if (v > max || v != v) { // PyTorch's test: strictly greater, or NaN
                                max = v;
                                best = line + x;
                            }
                        }
                    }
                    long at = dst + best;
                    dIn.setAtIndex(JAVA_FLOAT, at, dIn.getAtIndex(JAVA_FLOAT, at)
                            + dOut.getAtIndex(JAVA_FLOAT, grad + (long) oy * Wo + ox));
                }
            }
        }
    }

    /**
     * Average pooling backward ({@code count_include_pad=True}): each output's gradient, divided by {@code K·K},
     * is added to every real pixel of its window. It needs none of the forward's tensors, so its arguments start with
     * the forward's shape.
     *
     * @param C          channels
     * @param H          the forward's input height
     * @param W          the forward's input width
     * @param n          samples in this batch
     * @param K          window height and width
     * @param stride     step between windows
     * @param pad        zero padding on every side, at most {@code K/2}
     * @param dOut       gradient of the output, channel-major {@code C×(n·Ho·Wo)}
     * @param dIn        {@code C×(n·H·W)} floats receiving the input gradient; must not overlap {@code dOut}
     * @param accumulate {@code false} overwrites {@code dIn}, {@code true} adds the gradient to what it holds
     */
    public static void averagePoolBackward(int C, int H, int W, int n, int K, int stride, int pad,
                                           MemorySegment dOut, long dOutOff, MemorySegment dIn, long dInOff,
                                           boolean accumulate) {
        checkPadding(K, pad);
        int Ho = Conv2d.outputSize(H, K, stride, pad);
        int Wo = Conv2d.outputSize(W, K, stride, pad);
        float inverseArea = 1f / (K * K);
        long images = (long) C * n;
        for (long image = 0; image < images; image++) {
            long dst = dInOff + image * H * W;
            long grad = dOutOff + image * Ho * Wo;
            if (!accumulate) {
                zero(dIn, dst, H * W);
            }
            for (int oy = 0; oy < Ho; oy++) {
                int y0 = Math.max(0, oy * stride - pad), y1 = Math.min(H, oy * stride - pad + K);
                for (int ox = 0; ox < Wo; ox++) {
                    int x0 = Math.max(0, ox * stride - pad), x1 = Math.min(W, ox * stride - pad + K);
                    float share = dOut.getAtIndex(JAVA_FLOAT, grad + (long) oy * Wo + ox) * inverseArea;
                    for (int y = y0; y < y1; y++) {
                        long line = dst + (long) y * W;
                        for (int x = x0; x < x1; x++) {
                            dIn.setAtIndex(JAVA_FLOAT, line + x, dIn.getAtIndex(JAVA_FLOAT, line + x) + share);
                        }
                    }
                }
            }
        }
    }

    /**
     * Global average pooling backward: each sample's channel receives its feature's gradient divided by {@code hw}
     * at every pixel.
     *
     * @param C          channels
     * @param hw         {@code H·W} of the forward's input
     * @param n          samples in this batch
     * @param dOut       gradient of the output, {@code C×n} feature vectors, element {@code (s, c)} at {@code c·n + s}
     * @param dIn        {@code C×(n·hw)} floats receiving the input gradient; must not overlap {@code dOut}
     * @param accumulate {@code false} overwrites {@code dIn}, {@code true} adds the gradient to what it holds
     */
    public static void globalAveragePoolBackward(int C, int hw, int n, MemorySegment dOut, long dOutOff,
                                                 MemorySegment dIn, long dInOff, boolean accumulate) {
        long images = (long) C * n;
        for (long image = 0; image < images; image++) {
            float share = dOut.getAtIndex(JAVA_FLOAT, dOutOff + image) / hw;
            long dst = dInOff + image * hw;
            if (accumulate) {
                for (int p = 0; p < hw; p++) {
                    dIn.setAtIndex(JAVA_FLOAT, dst + p, dIn.getAtIndex(JAVA_FLOAT, dst + p) + share);
                }
            } else {
                for (int p = 0; p < hw; p++) {
                    dIn.setAtIndex(JAVA_FLOAT, dst + p, share);
                }
            }
        }
    }

    private static void zero(MemorySegment segment, long offset, int count) {
        for (int i = 0; i < count; i++) {
            segment.setAtIndex(JAVA_FLOAT, offset + i, 0f);
        }
    }

    private static void checkPadding(int K, int pad) {
        if (pad < 0 || 2 * pad > K) {
            throw new IllegalArgumentException("pooling padding must be from 0 to K/2, got pad " + pad + " for K " + K);
        }
    }
}
