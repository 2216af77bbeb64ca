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

    // Backward goes here: max pooling routes each gradient to the first maximum of its window (recomputed, or an
    // argmax saved by a training forward), average pooling spreads it as gradient / (K·K), global average pooling as
    // gradient / hw.

    private static void checkPadding(int K, int pad) {
        if (pad < 0 || 2 * pad > K) {
            throw new IllegalArgumentException("pooling padding must be from 0 to K/2, got pad " + pad + " for K " + K);
        }
    }
}
