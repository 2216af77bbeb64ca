package dev.residual.runtime.ops;

import dev.residual.runtime.gemm.Gemm;
import java.lang.foreign.MemorySegment;

/**
 * 2-D transposed convolution, PyTorch's {@code nn.ConvTranspose2d(C, F, K, stride, pad)} (no output padding,
 * groups or dilation): the adjoint of a convolution, built entirely from {@link Conv2d}.
 *
 * <p>Take the convolution {@code conv} that maps an {@code F}-channel {@code Ho×Wo} image to a {@code C}-channel
 * {@code H×W} one with kernel {@code K}, stride and padding, and weight {@code [C, F, K, K]} (OIHW with {@code O = C},
 * {@code I = F}) — the very tensor {@code nn.ConvTranspose2d} stores, {@code [in, out, K, K]}. Then
 * {@code Ho = (H − 1)·stride − 2·pad + K} makes {@code conv}'s output size exactly {@code H}, and
 * <ul>
 *   <li>the forward, {@code out = convᵀ(x)}, is {@code conv}'s input gradient with {@code dOut = x}:
 *       {@code col2im(Wᵀ·x)}, or for stride 1 the equivalent convolution with the rotated kernel;</li>
 *   <li>the input gradient, {@code dX = conv(dOut)}, is {@code conv}'s forward;</li>
 *   <li>the weight gradient is {@code conv}'s weight gradient with {@code dOut} as its input and {@code x} as its
 *       output gradient: {@code x·im2col(dOut)ᵀ}.</li>
 * </ul>
 * So every GEMM goes through the backend by way of {@link Conv2d}'s chunked im2col lowering, and the scratch it needs
 * is {@code conv}'s ({@link #scratchSize}).
 */
public final class ConvTranspose2d {

    private ConvTranspose2d() {}

    /** The output height (or width): {@code (size − 1)·stride − 2·pad + K}, which must be at least 1. */
    public static int outputSize(int size, int K, int stride, int pad) {
        if (K < 1 || stride < 1 || pad < 0 || size < 1) {
            throw new IllegalArgumentException("need size ≥ 1, K ≥ 1, stride ≥ 1, pad ≥ 0; got size " + size
                    + ", K " + K + ", stride " + stride + ", pad " + pad);
        }
        int out = (size - 1) * stride - 2 * pad + K;
        if (out < 1) {
            throw new IllegalArgumentException("a transposed " + K + "×" + K + " window with stride " + stride
                    + " and padding " + pad + " leaves no pixels of " + size);
        }
        return out;
    }

    /** Floats of scratch {@link #forward} and {@link #backward} need for a batch of up to {@code n}. */
    public static long scratchSize(int C, int H, int W, int F, int K, int stride, int pad, int n) {
        return Conv2d.scratchSize(F, outputSize(H, K, stride, pad), outputSize(W, K, stride, pad), C, K, stride, pad,
                n);
    }

    /**
     * {@code out = convᵀ(in) (+ bias)}.
     *
     * @param in     {@code C×(n·H·W)}, channel-major
     * @param weight {@code [C, F, K, K]}, PyTorch's layout
     * @param bias   {@code F} floats, or {@code null}
     * @param out    {@code F×(n·Ho·Wo)} with {@code Ho, Wo =} {@link #outputSize}; must not overlap the others
     * @param col    scratch of {@link #scratchSize} floats
     */
    public static void forward(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                               MemorySegment weight, long wOff, int F, int K, int stride, int pad,
                               MemorySegment bias, long bOff, MemorySegment out, long outOff,
                               MemorySegment col, long colOff) {
        int Ho = outputSize(H, K, stride, pad), Wo = outputSize(W, K, stride, pad);
        Conv2d.backward(gemm, null, 0, F, Ho, Wo, n, weight, wOff, C, K, stride, pad, in, inOff, null, 0, null, 0,
                out, outOff, false, col, colOff);
        if (bias != null) {
            Elementwise.biasAddRelu(out, outOff, F, Ho * Wo, n, bias, bOff, null, 0, false, out, outOff);
        }
    }

    /**
     * The gradients of the weight and bias (overwritten) and of the input (overwritten or added onto).
     *
     * @param in         the forward's input, {@code C×(n·H·W)}
     * @param dOut       {@code F×(n·Ho·Wo)}
     * @param dWeight    {@code [C, F, K, K]}, or {@code null}
     * @param dBias      {@code F} floats, or {@code null} (no bias)
     * @param dIn        {@code C×(n·H·W)}, or {@code null} for the model input
     * @param accumulate for {@code dIn}: {@code true} adds onto it
     * @param col        scratch of {@link #scratchSize} floats
     */
    public static void backward(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                                MemorySegment weight, long wOff, int F, int K, int stride, int pad,
                                MemorySegment dOut, long dOutOff, MemorySegment dWeight, long dwOff,
                                MemorySegment dBias, long dbOff, MemorySegment dIn, long dInOff, boolean accumulate,
                                MemorySegment col, long colOff) {
        int Ho = outputSize(H, K, stride, pad), Wo = outputSize(W, K, stride, pad);
        if (dBias != null) {
            Elementwise.biasGradient(dOut, dOutOff, F, Ho * Wo, n, dBias, dbOff);
        }
        if (dWeight != null) {
            Conv2d.backward(gemm, dOut, dOutOff, F, Ho, Wo, n, weight, wOff, C, K, stride, pad, in, inOff,
                    dWeight, dwOff, null, 0, null, 0, false, col, colOff);
        }
        if (dIn != null) {
            Conv2d.forward(gemm, dOut, dOutOff, F, Ho, Wo, n, weight, wOff, C, K, stride, pad, null, 0, dIn, dInOff,
                    accumulate, col, colOff, Conv2d.CHUNK_FLOATS);
        }
    }
}
