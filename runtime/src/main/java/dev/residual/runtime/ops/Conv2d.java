package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.residual.runtime.gemm.Gemm;
import java.lang.foreign.MemorySegment;

/**
 * 2-D convolution (square kernel, same stride and zero padding on both axes, no dilation, no groups) lowered to
 * im2col and one sgemm per call.
 *
 * <p>With the channel-major layout the whole batch is one matrix product: the input unrolled into the column matrix
 * {@code col} has {@code C·K·K} rows of {@code n·Ho·Wo} columns, row {@code (c·K + ky)·K + kx} holding, for every
 * output pixel of every sample, the input pixel that kernel tap {@code (c, ky, kx)} sees there (0 in the padding).
 * That row order is PyTorch's OIHW weight flattened to {@code [F, C·K·K]}, so
 * {@code out[F × n·Ho·Wo] = weight[F × C·K·K] · col} is the convolution, already in channel-major output layout.
 * A 1×1 convolution with stride 1 and no padding needs no unrolling: the input is already that matrix.
 */
public final class Conv2d {

    private Conv2d() {}

    /**
     * The output height (or width) of a convolution or pooling window sliding over {@code size} pixels:
     * {@code ⌊(size + 2·pad − K) / stride⌋ + 1}, as PyTorch computes it.
     *
     * @throws IllegalArgumentException when the window does not fit once or an argument is out of range
     */
    public static int outputSize(int size, int K, int stride, int pad) {
        if (K < 1 || stride < 1 || pad < 0 || size < 1) {
            throw new IllegalArgumentException("need size ≥ 1, K ≥ 1, stride ≥ 1, pad ≥ 0; got size " + size
                    + ", K " + K + ", stride " + stride + ", pad " + pad);
        }
        int span = size + 2 * pad - K;
        if (span < 0) {
            throw new IllegalArgumentException("a " + K + "×" + K + " window does not fit in " + size
                    + " pixels with padding " + pad);
        }
        return span / stride + 1;
    }

    /** Whether {@link #forward} unrolls the input into {@code col}; false only for 1×1, stride 1, no padding. */
    public static boolean needsCol(int K, int stride, int pad) {
        return !(K == 1 && stride == 1 && pad == 0);
    }

    /**
     * Floats of scratch {@link #forward} needs in {@code col} for a batch of {@code n}: {@code C·K·K·n·Ho·Wo}, or 0
     * when the input is used directly ({@link #needsCol} is false). The planner sizes the scratch with the planned
     * maximum batch; a smaller batch uses a prefix of it.
     */
    public static long colSize(int C, int H, int W, int K, int stride, int pad, int n) {
        if (!needsCol(K, stride, pad)) {
            return 0;
        }
        long pixels = (long) outputSize(H, K, stride, pad) * outputSize(W, K, stride, pad);
        return (long) C * K * K * n * pixels;
    }

    /**
     * Forward convolution: {@code out = weight ⊛ in (+ bias)}.
     *
     * @param gemm   the matrix-product backend
     * @param in     input map, channel-major {@code C×(n·H·W)}
     * @param C      input channels
     * @param H      input height
     * @param W      input width
     * @param n      samples in this batch (at most the planned batch)
     * @param weight {@code F×C×K×K} (PyTorch OIHW), read as the row-major {@code F×(C·K·K)} matrix
     * @param F      output channels (filters)
     * @param K      kernel height and width
     * @param stride step between windows, both axes
     * @param pad    zero padding on every side
     * @param bias   {@code F} floats added to each output channel, or {@code null}
     * @param out    output map, channel-major {@code F×(n·Ho·Wo)} with {@code Ho, Wo = }{@link #outputSize};
     *               must not overlap {@code in}, {@code weight} or {@code col}
     * @param col    scratch of {@link #colSize} floats; ignored (may be {@code null}) when {@link #needsCol} is false
     */
    public static void forward(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                               MemorySegment weight, long wOff, int F, int K, int stride, int pad,
                               MemorySegment bias, long bOff, MemorySegment out, long outOff,
                               MemorySegment col, long colOff) {
        int Ho = outputSize(H, K, stride, pad);
        int Wo = outputSize(W, K, stride, pad);
        int columns = n * Ho * Wo;
        int depth = C * K * K;
        if (needsCol(K, stride, pad)) {
            im2col(in, inOff, C, H, W, n, K, stride, pad, col, colOff);
            gemm.sgemm(false, false, F, columns, depth, 1f, weight, wOff, depth, col, colOff, columns,
                    0f, out, outOff, columns);
        } else {
            // The C×(n·H·W) input is already the C×(n·Ho·Wo) column matrix.
            gemm.sgemm(false, false, F, columns, C, 1f, weight, wOff, C, in, inOff, columns,
                    0f, out, outOff, columns);
        }
        if (bias != null) {
            Elementwise.biasAddRelu(out, outOff, F, Ho * Wo, n, bias, bOff, null, 0, false, out, outOff);
        }
    }

    /**
     * Backward convolution: the gradients of the weight, the bias and the input given the gradient of the output.
     * With {@code cols} the column matrix of {@code in} ({@link #im2col}, recomputed here into {@code col}; the input
     * itself when {@link #needsCol} is false):
     * <ul>
     *   <li>{@code dWeight[F × C·K·K] = dOut[F × n·Ho·Wo] · colsᵀ}, overwritten;</li>
     *   <li>{@code dBias[f] = Σ dOut[f, ·]}, the row sums, overwritten;</li>
     *   <li>{@code dIn = col2im(weightᵀ · dOut)}: the product is computed into {@code col} (after the weight gradient
     *       is done with it) and scattered back onto the input pixels by {@link #col2im}; for a 1×1 convolution with
     *       stride 1 and no padding the product is {@code dIn} itself, computed with GEMM {@code beta} 0 or 1.</li>
     * </ul>
     * Any of the three gradients may be {@code null} to skip its work ({@code dIn} for the model input, which needs
     * no gradient).
     *
     * @param gemm       the matrix-product backend
     * @param in         the forward's input map, channel-major {@code C×(n·H·W)}
     * @param C          input channels
     * @param H          input height
     * @param W          input width
     * @param n          samples in this batch (at most the planned batch)
     * @param weight     {@code F×C×K×K} (PyTorch OIHW), the row-major {@code F×(C·K·K)} matrix
     * @param F          output channels (filters)
     * @param K          kernel height and width
     * @param stride     step between windows, both axes
     * @param pad        zero padding on every side
     * @param dOut       gradient of the output, channel-major {@code F×(n·Ho·Wo)} with {@code Ho, Wo =}
     *                   {@link #outputSize}
     * @param dWeight    {@code F×C×K×K} floats receiving the weight gradient (overwritten), or {@code null}
     * @param dBias      {@code F} floats receiving the bias gradient (overwritten), or {@code null} (no bias)
     * @param dIn        {@code C×(n·H·W)} floats receiving the input gradient, or {@code null} to skip it; must not
     *                   overlap {@code dOut}, {@code weight} or {@code col}
     * @param accumulate for {@code dIn}: {@code false} overwrites it, {@code true} adds the gradient to what it holds
     * @param col        scratch of {@link #colSize} floats, overwritten; ignored (may be {@code null}) when
     *                   {@link #needsCol} is false
     */
    public static void backward(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                                MemorySegment weight, long wOff, int F, int K, int stride, int pad,
                                MemorySegment dOut, long dOutOff,
                                MemorySegment dWeight, long dwOff, MemorySegment dBias, long dbOff,
                                MemorySegment dIn, long dInOff, boolean accumulate,
                                MemorySegment col, long colOff) {
        int Ho = outputSize(H, K, stride, pad);
        int Wo = outputSize(W, K, stride, pad);
        int columns = n * Ho * Wo;
        int depth = C * K * K;
        if (dBias != null) {
            Elementwise.biasGradient(dOut, dOutOff, F, Ho * Wo, n, dBias, dbOff);
        }
        if (needsCol(K, stride, pad)) {
            if (dWeight != null) {
                im2col(in, inOff, C, H, W, n, K, stride, pad, col, colOff);
                gemm.sgemm(false, true, F, depth, columns, 1f, dOut, dOutOff, columns, col, colOff, columns,
                        0f, dWeight, dwOff, depth);
            }
            if (dIn != null) {
                gemm.sgemm(true, false, depth, columns, F, 1f, weight, wOff, depth, dOut, dOutOff, columns,
                        0f, col, colOff, columns);
                col2im(col, colOff, C, H, W, n, K, stride, pad, dIn, dInOff, accumulate);
            }
        } else {
            if (dWeight != null) {
                gemm.sgemm(false, true, F, C, columns, 1f, dOut, dOutOff, columns, in, inOff, columns,
                        0f, dWeight, dwOff, C);
            }
            if (dIn != null) {
                gemm.sgemm(true, false, C, columns, F, 1f, weight, wOff, C, dOut, dOutOff, columns,
                        accumulate ? 1f : 0f, dIn, dInOff, columns);
            }
        }
    }

    /**
     * Unrolls the input into the column matrix described in the class comment: {@code C·K·K} rows of
     * {@code n·Ho·Wo} floats, row {@code (c·K + ky)·K + kx}, column {@code s·Ho·Wo + oy·Wo + ox} holding input pixel
     * {@code (s, c, oy·stride − pad + ky, ox·stride − pad + kx)}, or 0 where that falls in the padding.
     *
     * @param in  input map, channel-major {@code C×(n·H·W)}
     * @param col {@link #colSize} floats, written entirely
     */
    public static void im2col(MemorySegment in, long inOff, int C, int H, int W, int n, int K, int stride, int pad,
                              MemorySegment col, long colOff) {
        int Ho = outputSize(H, K, stride, pad);
        int Wo = outputSize(W, K, stride, pad);
        int hw = H * W;
        int outPixels = Ho * Wo;
        long inRow = (long) n * hw;
        long colRow = (long) n * outPixels;
        for (int c = 0; c < C; c++) {
            for (int ky = 0; ky < K; ky++) {
                // Output rows whose tap ky lands inside the image: 0 ≤ oy·stride − pad + ky < H.
                int oyLo = Math.min(Ho, firstInside(ky - pad, stride));
                int oyHi = Math.max(oyLo, Math.min(Ho, endInside(ky - pad, stride, H)));
                for (int kx = 0; kx < K; kx++) {
                    int oxLo = Math.min(Wo, firstInside(kx - pad, stride));
                    int oxHi = Math.max(oxLo, Math.min(Wo, endInside(kx - pad, stride, W)));
                    long row = colOff + ((long) (c * K + ky) * K + kx) * colRow;
                    for (int s = 0; s < n; s++) {
                        long image = inOff + c * inRow + (long) s * hw;
                        long dst = row + (long) s * outPixels;
                        zero(col, dst, oyLo * Wo);
                        for (int oy = oyLo; oy < oyHi; oy++) {
                            long line = dst + (long) oy * Wo;
                            // Input x of output column ox is ox·stride + (kx − pad).
                            long src = image + (long) (oy * stride - pad + ky) * W + (kx - pad);
                            zero(col, line, oxLo);
                            if (stride == 1) {
                                Layout.copy(in, src + oxLo, col, line + oxLo, oxHi - oxLo);
                            } else {
                                for (int ox = oxLo; ox < oxHi; ox++) {
                                    col.setAtIndex(JAVA_FLOAT, line + ox,
                                            in.getAtIndex(JAVA_FLOAT, src + (long) ox * stride));
                                }
                            }
                            zero(col, line + oxHi, Wo - oxHi);
                        }
                        zero(col, dst + (long) oyHi * Wo, (Ho - oyHi) * Wo);
                    }
                }
            }
        }
    }

    /**
     * The adjoint of {@link #im2col}: adds every entry of the column matrix onto the input pixel it was copied from
     * (entries that fell in the padding are dropped). Pixels that several windows see receive the sum of their
     * entries; pixels no window sees (possible when {@code stride > K}) receive 0.
     *
     * <p>It works image by image ({@code C·n} images of {@code H·W}, each small enough to stay in cache while the
     * {@code K·K} rows that land on it are added), reading each row of the column matrix once.
     *
     * @param col        {@code C·K·K} rows of {@code n·Ho·Wo} floats, laid out as {@link #im2col} writes them
     * @param C          input channels
     * @param H          input height
     * @param W          input width
     * @param n          samples in this batch
     * @param K          kernel height and width
     * @param stride     step between windows
     * @param pad        zero padding on every side
     * @param out        input-shaped map, channel-major {@code C×(n·H·W)}; must not overlap {@code col}
     * @param accumulate {@code false} overwrites {@code out}, {@code true} adds onto what it holds
     */
    public static void col2im(MemorySegment col, long colOff, int C, int H, int W, int n, int K, int stride, int pad,
                              MemorySegment out, long outOff, boolean accumulate) {
        int Ho = outputSize(H, K, stride, pad);
        int Wo = outputSize(W, K, stride, pad);
        int hw = H * W;
        int outPixels = Ho * Wo;
        long inRow = (long) n * hw;
        long colRow = (long) n * outPixels;
        for (int c = 0; c < C; c++) {
            for (int s = 0; s < n; s++) {
                long image = outOff + c * inRow + (long) s * hw;
                if (!accumulate) {
                    zero(out, image, hw);
                }
                for (int ky = 0; ky < K; ky++) {
                    int oyLo = Math.min(Ho, firstInside(ky - pad, stride));
                    int oyHi = Math.max(oyLo, Math.min(Ho, endInside(ky - pad, stride, H)));
                    for (int kx = 0; kx < K; kx++) {
                        int oxLo = Math.min(Wo, firstInside(kx - pad, stride));
                        int oxHi = Math.max(oxLo, Math.min(Wo, endInside(kx - pad, stride, W)));
                        long src = colOff + ((long) (c * K + ky) * K + kx) * colRow + (long) s * outPixels;
                        for (int oy = oyLo; oy < oyHi; oy++) {
                            long line = src + (long) oy * Wo;
                            long dst = image + (long) (oy * stride - pad + ky) * W + (kx - pad);
                            if (stride == 1) {
                                for (int ox = oxLo; ox < oxHi; ox++) {
                                    out.setAtIndex(JAVA_FLOAT, dst + ox, out.getAtIndex(JAVA_FLOAT, dst + ox)
                                            + col.getAtIndex(JAVA_FLOAT, line + ox));
                                }
                            } else {
                                for (int ox = oxLo; ox < oxHi; ox++) {
                                    long at = dst + (long) ox * stride;
                                    out.setAtIndex(JAVA_FLOAT, at, out.getAtIndex(JAVA_FLOAT, at)
                                            + col.getAtIndex(JAVA_FLOAT, line + ox));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** The first output index {@code o ≥ 0} with {@code o·stride + shift ≥ 0}. */
    private static int firstInside(int shift, int stride) {
        return shift >= 0 ? 0 : (-shift + stride - 1) / stride;
    }

    /** One past the last output index with {@code o·stride + shift < size}; may be ≤ 0 when none is. */
    private static int endInside(int shift, int stride, int size) {
        return Math.floorDiv(size - 1 - shift, stride) + 1;
    }

    private static void zero(MemorySegment segment, long offset, int count) {
        for (int i = 0; i < count; i++) {
            segment.setAtIndex(JAVA_FLOAT, offset + i, 0f);
        }
    }
}
