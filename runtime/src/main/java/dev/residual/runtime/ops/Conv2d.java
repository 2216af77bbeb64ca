package dev.residual.runtime.ops;

import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.parallel.Parts;
import java.lang.foreign.MemorySegment;

/**
 * 2-D convolution (square kernel, same stride and zero padding on both axes, no dilation, no groups) lowered to
 * im2col and sgemm.
 *
 * <p>With the channel-major layout a batch is one matrix product: the input unrolled into the column matrix
 * {@code col} has {@code C·K·K} rows of {@code n·Ho·Wo} columns, row {@code (c·K + ky)·K + kx} holding, for every
 * output pixel of every sample, the input pixel that kernel tap {@code (c, ky, kx)} sees there (0 in the padding).
 * That row order is PyTorch's OIHW weight flattened to {@code [F, C·K·K]}, so
 * {@code out[F × n·Ho·Wo] = weight[F × C·K·K] · col} is the convolution, already in channel-major output layout.
 * A 1×1 convolution with stride 1 and no padding needs no unrolling: the input is already that matrix.
 *
 * <p><b>Chunks.</b> The whole column matrix is {@code K·K} times the input: 58 MB for 16 channels of 28×28 at batch
 * 128. So the batch is cut into chunks of a few images whose matrices take about {@link #CHUNK_FLOATS} floats; each
 * chunk is unrolled and at once multiplied into its own columns of the output (a GEMM writes a column range of the
 * row-major output, with leading dimension {@code n·Ho·Wo} and offset {@code s0·Ho·Wo}). The scratch holds one
 * chunk ({@link #scratchSize}), and the unrolling writes into cache rather than memory.
 *
 * <p><b>Bands.</b> When the backend cuts a chunk's small product into bands of columns run on several threads
 * ({@link Gemm#columnBands}: OpenBLAS below {@code -Dresidual.gemm.serialBelow}, a batch-1 or batch-2 ResNet-20),
 * a stride-1 same-size layer over shared memory is computed band by band instead: each thread unrolls its band's
 * columns and multiplies them, so the band's column matrix is written and read in one core's cache (the caller's
 * unrolling of the whole matrix, read half by another core, gained a tenth of what this does).
 *
 * <p><b>Backward.</b> The weight gradient sums the chunks' products, computed transposed:
 * {@code dWeightᵀ = Σ col_chunk · dOut_chunkᵀ}, which OpenBLAS runs faster than {@code Σ dOut_chunk · col_chunkᵀ}
 * (measured at batch 128 and 2 threads: 8.9 against 12.4 ms for 16 channels at 28×28; no slower for the others),
 * then transposed into {@code dWeight}. The input gradient of a stride-1 convolution is itself a stride-1
 * convolution: of {@code dOut}, with the kernel rotated by 180° and transposed to {@code C×F×K×K}, padded by
 * {@code K − 1 − pad}. It is computed as one — unroll a chunk of {@code dOut}, then one GEMM writes that chunk of
 * {@code dIn} ({@code beta} 1 to accumulate) — so each element is written once, with no col2im and no zeroing. A
 * strided convolution keeps col2im: {@code weightᵀ · dOut_chunk} into the scratch, scattered onto the chunk's
 * images.
 *
 * <p><b>Scratch.</b> Each chunk, and the weight-sized area the backward keeps in front of it, fits within
 * {@link #colSize} (the space of the whole column matrix), so scratch sized by {@code colSize} is always enough;
 * {@link #scratchSize} is the tighter size. When a batch is too small for the weight area to fit there beside one
 * image (a batch of one or two), the backward falls back to the plain product and col2im, which need only the column
 * matrix.
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
     * Floats of the whole column matrix of a batch of {@code n}: {@code C·K·K·n·Ho·Wo}, or 0 when the input is used
     * directly ({@link #needsCol} is false). This is what {@link #im2col} writes and {@link #col2im} reads. It is
     * also an upper bound of {@link #scratchSize}, the scratch {@link #forward} and {@link #backward} need.
     */
    public static long colSize(int C, int H, int W, int K, int stride, int pad, int n) {
        if (!needsCol(K, stride, pad)) {
            return 0;
        }
        long pixels = (long) outputSize(H, K, stride, pad) * outputSize(W, K, stride, pad);
        return (long) C * K * K * n * pixels;
    }

    /**
     * Floats of scratch {@link #forward} and {@link #backward} need in {@code col} for a batch of up to {@code n}:
     * one chunk's column matrix and, for the backward, a weight-sized area in front of it (see the class comment);
     * 0 when {@link #needsCol} is false. Never more than {@link #colSize}: about 4 MB once a batch spans several
     * chunks, against 58 MB for {@code colSize} of a 16-channel 28×28 layer at batch 128. The planner sizes the
     * scratch with the planned maximum batch; a smaller batch uses a prefix of it.
     */
    public static long scratchSize(int C, int H, int W, int F, int K, int stride, int pad, int n) {
        return scratchSize(C, H, W, F, K, stride, pad, n, CHUNK_FLOATS);
    }

    /**
     * The target size, in floats, of one chunk's matrices: 4 MB. Measured on the ResNet-20 shapes at batch 128 with
     * OpenBLAS on this project's 2-core machine: single-threaded, chunks of 2–4 MB are 5–15% faster than the whole
     * batch at once (the unrolling runs twice as fast into cache); with 2 threads the whole batch at once is 2–5%
     * faster than 4 MB chunks (fewer calls), and chunks under 2 MB lose up to 20%. 4 MB keeps the scratch small —
     * it was the whole 58 MB column matrix — at little cost either way.
     */
    static final long CHUNK_FLOATS = 1L << 20;

    /** {@link #scratchSize} for a given chunk target; tests use tiny chunks to run the multi-chunk paths. */
    static long scratchSize(int C, int H, int W, int F, int K, int stride, int pad, int n, long chunkFloats) {
        if (!needsCol(K, stride, pad)) {
            return 0;
        }
        // The forward and the fallbacks (plain weight gradient, col2im) use one chunk of the column matrix.
        long columns = columnsPerImage(C, H, W, K, stride, pad);
        long size = columns * columnChunk(C, H, W, K, stride, pad, n, chunkFloats);
        int chunk = weightGradientChunk(C, H, W, F, K, stride, pad, n, chunkFloats);
        if (chunk > 0) {
            size = Math.max(size, weightArea(C, F, K) + columns * chunk);
        }
        chunk = inputGradientChunk(C, H, W, F, K, stride, pad, n, chunkFloats);
        if (chunk > 0) {
            size = Math.max(size, weightArea(C, F, K) + gradientColumnsPerImage(H, W, F, K) * chunk);
        }
        return size;
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
     * @param col    scratch of {@link #scratchSize} floats, overwritten; ignored (may be {@code null}) when
     *               {@link #needsCol} is false
     */
    public static void forward(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                               MemorySegment weight, long wOff, int F, int K, int stride, int pad,
                               MemorySegment bias, long bOff, MemorySegment out, long outOff,
                               MemorySegment col, long colOff) {
        forward(gemm, in, inOff, C, H, W, n, weight, wOff, F, K, stride, pad, bias, bOff, out, outOff, false, col,
                colOff, CHUNK_FLOATS);
    }

    /** {@link #forward} with a given chunk target. */
    static void forward(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                        MemorySegment weight, long wOff, int F, int K, int stride, int pad,
                        MemorySegment bias, long bOff, MemorySegment out, long outOff,
                        MemorySegment col, long colOff, long chunkFloats) {
        forward(gemm, in, inOff, C, H, W, n, weight, wOff, F, K, stride, pad, bias, bOff, out, outOff, false, col,
                colOff, chunkFloats);
    }

    /**
     * {@link #forward} with a given chunk target; {@code accumulate} adds the convolution onto what {@code out}
     * holds (GEMM {@code beta} 1; no bias then), which a transposed convolution's input gradient needs.
     */
    static void forward(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                        MemorySegment weight, long wOff, int F, int K, int stride, int pad,
                        MemorySegment bias, long bOff, MemorySegment out, long outOff, boolean accumulate,
                        MemorySegment col, long colOff, long chunkFloats) {
        if (accumulate && bias != null) {
            throw new IllegalArgumentException("an accumulating convolution takes no bias");
        }
        float beta = accumulate ? 1f : 0f;
        int Ho = outputSize(H, K, stride, pad);
        int Wo = outputSize(W, K, stride, pad);
        int pixels = Ho * Wo;
        if (needsCol(K, stride, pad)) {
            int depth = C * K * K;
            int chunk = chunkSize(n, columnChunk(C, H, W, K, stride, pad, n, chunkFloats));
            // Bands run on other threads: only for a stride-1 same-size unrolling, over memory any thread may touch.
            boolean bandable = Im2col.shifts(H, W, stride, Ho, Wo)
                    && ChannelRange.accessible(ChannelRange.ELSEWHERE, in, weight, out, col);
            for (int s0 = 0; s0 < n; s0 += chunk) {
                int count = Math.min(chunk, n - s0);
                int columns = count * pixels;
                int bands = bandable ? gemm.columnBands(F, columns, depth) : 1;
                if (bands > 1) {
                    ForwardBands task = FORWARD_BANDS.get();
                    task.set(gemm, in, inOff, C, H, W, n, s0, count, K, pad, weight, wOff, F, beta, out,
                            outOff + (long) s0 * pixels, n * pixels, col, colOff, columns, bands);
                    try {
                        gemm.runBands(task, bands);
                    } finally {
                        task.clear();
                    }
                } else {
                    Im2col.unroll(in, inOff, C, H, W, n, s0, count, K, stride, pad, Ho, Wo, col, colOff);
                    gemm.sgemm(false, false, F, columns, depth, 1f, weight, wOff, depth, col, colOff, columns,
                            beta, out, outOff + (long) s0 * pixels, n * pixels);
                }
            }
        } else {
            // The C×(n·H·W) input is already the C×(n·Ho·Wo) column matrix.
            int columns = n * pixels;
            gemm.sgemm(false, false, F, columns, C, 1f, weight, wOff, C, in, inOff, columns,
                    beta, out, outOff, columns);
        }
        if (bias != null) {
            Elementwise.biasAddRelu(out, outOff, F, pixels, n, bias, bOff, null, 0, false, out, outOff);
        }
    }

    /**
     * Backward convolution: the gradients of the weight, the bias and the input given the gradient of the output.
     * With {@code cols} the column matrix of {@code in} (unrolled again here, chunk by chunk; the input itself when
     * {@link #needsCol} is false):
     * <ul>
     *   <li>{@code dWeight[F × C·K·K] = dOut[F × n·Ho·Wo] · colsᵀ}, overwritten;</li>
     *   <li>{@code dBias[f] = Σ dOut[f, ·]}, the row sums, overwritten;</li>
     *   <li>{@code dIn = col2im(weightᵀ · dOut)}, computed for stride 1 as the equivalent transposed convolution
     *       (see the class comment), and for a 1×1 convolution with stride 1 and no padding as the product itself;
     *       either way written with GEMM {@code beta} 0 or 1.</li>
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
     * @param col        scratch of {@link #scratchSize} floats, overwritten; ignored (may be {@code null}) when
     *                   {@link #needsCol} is false
     */
    public static void backward(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                                MemorySegment weight, long wOff, int F, int K, int stride, int pad,
                                MemorySegment dOut, long dOutOff,
                                MemorySegment dWeight, long dwOff, MemorySegment dBias, long dbOff,
                                MemorySegment dIn, long dInOff, boolean accumulate,
                                MemorySegment col, long colOff) {
        backward(gemm, in, inOff, C, H, W, n, weight, wOff, F, K, stride, pad, dOut, dOutOff, dWeight, dwOff,
                dBias, dbOff, dIn, dInOff, accumulate, col, colOff, CHUNK_FLOATS);
    }

    /** {@link #backward} with a given chunk target. */
    static void backward(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                         MemorySegment weight, long wOff, int F, int K, int stride, int pad,
                         MemorySegment dOut, long dOutOff,
                         MemorySegment dWeight, long dwOff, MemorySegment dBias, long dbOff,
                         MemorySegment dIn, long dInOff, boolean accumulate,
                         MemorySegment col, long colOff, long chunkFloats) {
        if (dBias != null) {
            int pixels = outputSize(H, K, stride, pad) * outputSize(W, K, stride, pad);
            Elementwise.biasGradient(dOut, dOutOff, F, pixels, n, dBias, dbOff);
        }
        if (!needsCol(K, stride, pad)) {
            int columns = n * H * W;
            if (dWeight != null) {
                gemm.sgemm(false, true, F, C, columns, 1f, dOut, dOutOff, columns, in, inOff, columns,
                        0f, dWeight, dwOff, C);
            }
            if (dIn != null) {
                gemm.sgemm(true, false, C, columns, F, 1f, weight, wOff, C, dOut, dOutOff, columns,
                        accumulate ? 1f : 0f, dIn, dInOff, columns);
            }
            return;
        }
        int columnChunk = chunkSize(n, columnChunk(C, H, W, K, stride, pad, n, chunkFloats));
        if (dWeight != null) {
            int chunk = weightGradientChunk(C, H, W, F, K, stride, pad, n, chunkFloats);
            if (chunk > 0) {
                transposedWeightGradient(gemm, in, inOff, C, H, W, n, F, K, stride, pad, dOut, dOutOff,
                        dWeight, dwOff, col, colOff, chunkSize(n, chunk));
            } else {
                plainWeightGradient(gemm, in, inOff, C, H, W, n, F, K, stride, pad, dOut, dOutOff,
                        dWeight, dwOff, col, colOff, columnChunk);
            }
        }
        if (dIn != null) {
            int chunk = inputGradientChunk(C, H, W, F, K, stride, pad, n, chunkFloats);
            if (chunk > 0) {
                convolvedInputGradient(gemm, C, H, W, n, weight, wOff, F, K, pad, dOut, dOutOff,
                        dIn, dInOff, accumulate, col, colOff, chunkSize(n, chunk));
            } else {
                scatteredInputGradient(gemm, C, H, W, n, weight, wOff, F, K, stride, pad, dOut, dOutOff,
                        dIn, dInOff, accumulate, col, colOff, columnChunk);
            }
        }
    }

    /**
     * {@code dWeight = Σ_chunks dOut_chunk · col_chunkᵀ}, computed transposed: {@code dWeightᵀ = Σ col_chunk ·
     * dOut_chunkᵀ} accumulates ({@code beta} 0 for the first chunk, 1 after) in the weight area at the front of the
     * scratch, and is transposed into {@code dWeight} at the end.
     */
    private static void transposedWeightGradient(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W,
                                                 int n, int F, int K, int stride, int pad,
                                                 MemorySegment dOut, long dOutOff,
                                                 MemorySegment dWeight, long dwOff,
                                                 MemorySegment col, long colOff, int chunk) {
        int Ho = outputSize(H, K, stride, pad);
        int Wo = outputSize(W, K, stride, pad);
        int pixels = Ho * Wo;
        int depth = C * K * K;
        long cols = colOff + weightArea(C, F, K);
        for (int s0 = 0; s0 < n; s0 += chunk) {
            int count = Math.min(chunk, n - s0);
            int columns = count * pixels;
            Im2col.unroll(in, inOff, C, H, W, n, s0, count, K, stride, pad, Ho, Wo, col, cols);
            gemm.sgemm(false, true, depth, F, columns, 1f, col, cols, columns, dOut, dOutOff + (long) s0 * pixels,
                    n * pixels, s0 == 0 ? 0f : 1f, col, colOff, F);
        }
        Im2col.transpose(col, colOff, depth, F, dWeight, dwOff);
    }

    /**
     * {@code dWeight = Σ_chunks dOut_chunk · col_chunkᵀ} straight into {@code dWeight}, for a batch too small to
     * fit the weight area beside a chunk.
     */
    private static void plainWeightGradient(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                                            int F, int K, int stride, int pad, MemorySegment dOut, long dOutOff,
                                            MemorySegment dWeight, long dwOff,
                                            MemorySegment col, long colOff, int chunk) {
        int Ho = outputSize(H, K, stride, pad);
        int Wo = outputSize(W, K, stride, pad);
        int pixels = Ho * Wo;
        int depth = C * K * K;
        for (int s0 = 0; s0 < n; s0 += chunk) {
            int count = Math.min(chunk, n - s0);
            int columns = count * pixels;
            Im2col.unroll(in, inOff, C, H, W, n, s0, count, K, stride, pad, Ho, Wo, col, colOff);
            gemm.sgemm(false, true, F, depth, columns, 1f, dOut, dOutOff + (long) s0 * pixels, n * pixels,
                    col, colOff, columns, s0 == 0 ? 0f : 1f, dWeight, dwOff, depth);
        }
    }

    /**
     * The input gradient of a stride-1 convolution, as a convolution of {@code dOut}: the weights, rotated and
     * transposed, go into the weight area; per chunk, {@code dOut} (an {@code F}-channel {@code Ho×Wo} map) is
     * unrolled with padding {@code K − 1 − pad} (negative: a crop) into {@code F·K·K} rows of {@code H×W} images, and
     * one GEMM writes, or adds onto, that chunk of {@code dIn}.
     */
    private static void convolvedInputGradient(Gemm gemm, int C, int H, int W, int n,
                                               MemorySegment weight, long wOff, int F, int K, int pad,
                                               MemorySegment dOut, long dOutOff,
                                               MemorySegment dIn, long dInOff, boolean accumulate,
                                               MemorySegment col, long colOff, int chunk) {
        int Ho = outputSize(H, K, 1, pad);
        int Wo = outputSize(W, K, 1, pad);
        int pixels = H * W;
        int depth = F * K * K;
        long cols = colOff + weightArea(C, F, K);
        Im2col.rotate(weight, wOff, F, C, K, col, colOff);
        for (int s0 = 0; s0 < n; s0 += chunk) {
            int count = Math.min(chunk, n - s0);
            int columns = count * pixels;
            Im2col.unroll(dOut, dOutOff, F, Ho, Wo, n, s0, count, K, 1, K - 1 - pad, H, W, col, cols);
            gemm.sgemm(false, false, C, columns, depth, 1f, col, colOff, depth, col, cols, columns,
                    accumulate ? 1f : 0f, dIn, dInOff + (long) s0 * pixels, n * pixels);
        }
    }

    /** The input gradient of a strided convolution: per chunk, {@code weightᵀ · dOut_chunk}, then col2im. */
    private static void scatteredInputGradient(Gemm gemm, int C, int H, int W, int n,
                                               MemorySegment weight, long wOff, int F, int K, int stride, int pad,
                                               MemorySegment dOut, long dOutOff,
                                               MemorySegment dIn, long dInOff, boolean accumulate,
                                               MemorySegment col, long colOff, int chunk) {
        int pixels = outputSize(H, K, stride, pad) * outputSize(W, K, stride, pad);
        int depth = C * K * K;
        for (int s0 = 0; s0 < n; s0 += chunk) {
            int count = Math.min(chunk, n - s0);
            int columns = count * pixels;
            gemm.sgemm(true, false, depth, columns, F, 1f, weight, wOff, depth, dOut, dOutOff + (long) s0 * pixels,
                    n * pixels, 0f, col, colOff, columns);
            Im2col.scatter(col, colOff, C, H, W, n, s0, count, K, stride, pad, dIn, dInOff, accumulate);
        }
    }

    /*
     * Chunk sizes: images per chunk for each way of computing, 0 when even one image's matrices do not fit. Every
     * chunk fits, with the weight area in front of it where one is used, within colSize(n) — the space of the whole
     * column matrix — so scratch sized by colSize stays enough. Each size is non-decreasing in n, and a way that fits
     * at some n fits at every larger n: a batch smaller than the planned one never needs more scratch than
     * scratchSize gives for the planned one.
     */

    /** Chunks of the column matrix alone, for the forward and the fallbacks; always at least 1. */
    private static int columnChunk(int C, int H, int W, int K, int stride, int pad, int n, long chunkFloats) {
        return chunkLimit(n, colSize(C, H, W, K, stride, pad, n), columnsPerImage(C, H, W, K, stride, pad),
                chunkFloats);
    }

    /** Chunks of {@link #transposedWeightGradient}: the weight area, then the column matrix. */
    private static int weightGradientChunk(int C, int H, int W, int F, int K, int stride, int pad, int n,
                                           long chunkFloats) {
        long room = colSize(C, H, W, K, stride, pad, n) - weightArea(C, F, K);
        return chunkLimit(n, room, columnsPerImage(C, H, W, K, stride, pad), chunkFloats);
    }

    /** Chunks of {@link #convolvedInputGradient} (stride 1 only): the weight area, then the unrolled {@code dOut}. */
    private static int inputGradientChunk(int C, int H, int W, int F, int K, int stride, int pad, int n,
                                          long chunkFloats) {
        if (stride != 1) {
            return 0;
        }
        long room = colSize(C, H, W, K, stride, pad, n) - weightArea(C, F, K);
        return chunkLimit(n, room, gradientColumnsPerImage(H, W, F, K), chunkFloats);
    }

    /**
     * Images a chunk of {@code perImage} floats may hold: as many as fit in {@code chunkFloats}, but at least 1 and
     * at most {@code n}, and no more than fit in {@code room} floats — 0 if not even one does.
     */
    private static int chunkLimit(int n, long room, long perImage, long chunkFloats) {
        long limit = Math.min(n, Math.max(1, chunkFloats / perImage));
        return (int) Math.max(0, Math.min(limit, room / perImage));
    }

    /** Images per chunk: the batch cut into equal chunks of at most {@code limit} (the last may be smaller). */
    private static int chunkSize(int n, int limit) {
        int chunks = Math.max(1, (n + limit - 1) / limit);
        return (n + chunks - 1) / chunks;
    }

    /** Floats of one image's column matrix: {@code C·K·K·Ho·Wo}. */
    private static long columnsPerImage(int C, int H, int W, int K, int stride, int pad) {
        return (long) C * K * K * outputSize(H, K, stride, pad) * outputSize(W, K, stride, pad);
    }

    /** Floats of one image's unrolled output gradient in {@link #convolvedInputGradient}: {@code F·K·K·H·W}. */
    private static long gradientColumnsPerImage(int H, int W, int F, int K) {
        return (long) F * K * K * H * W;
    }

    /**
     * Floats the backward keeps at the front of the scratch for a weight-shaped matrix (the transposed weight
     * gradient, then the rotated weights): {@code C·F·K·K} rounded up to 16, so what follows stays 64-byte aligned.
     */
    private static long weightArea(int C, int F, int K) {
        return ((long) C * F * K * K + 15) & ~15L;
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
        Im2col.unroll(in, inOff, C, H, W, n, 0, n, K, stride, pad, outputSize(H, K, stride, pad),
                outputSize(W, K, stride, pad), col, colOff);
    }

    /**
     * The adjoint of {@link #im2col}: adds every entry of the column matrix onto the input pixel it was copied from
     * (entries that fell in the padding are dropped). Pixels that several windows see receive the sum of their
     * entries; pixels no window sees (possible when {@code stride > K}) receive 0.
     *
     * <p>It works image by image ({@code C·n} images of {@code H·W}, each summed in a small work array while the
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
        Im2col.scatter(col, colOff, C, H, W, n, 0, n, K, stride, pad, out, outOff, accumulate);
    }

    private static final ThreadLocal<ForwardBands> FORWARD_BANDS = ThreadLocal.withInitial(ForwardBands::new);

    /**
     * A chunk's forward as bands of output columns, for a backend that runs small products band by band on several
     * threads ({@link Gemm#columnBands}): each band unrolls its own columns and multiplies them on the thread that
     * runs it, so its column matrix is written and read in that core's cache. Bands start at multiples of 8 columns.
     */
    private static final class ForwardBands implements Parts {
        private Gemm gemm;
        private MemorySegment in, weight, out, col;
        private long inOff, wOff, outOff, colOff;
        private int C, H, W, n, s0, count, K, pad, F, ldc, columns, bands;
        private float beta;

        void set(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n, int s0, int count, int K,
                 int pad, MemorySegment weight, long wOff, int F, float beta, MemorySegment out, long outOff, int ldc,
                 MemorySegment col, long colOff, int columns, int bands) {
            this.gemm = gemm;
            this.in = in;
            this.inOff = inOff;
            this.C = C;
            this.H = H;
            this.W = W;
            this.n = n;
            this.s0 = s0;
            this.count = count;
            this.K = K;
            this.pad = pad;
            this.weight = weight;
            this.wOff = wOff;
            this.F = F;
            this.beta = beta;
            this.out = out;
            this.outOff = outOff;
            this.ldc = ldc;
            this.col = col;
            this.colOff = colOff;
            this.columns = columns;
            this.bands = bands;
        }

        @Override
        public void runPart(int band) {
            int first = start(band);
            int width = start(band + 1) - first;
            int depth = C * K * K;
            long at = colOff + (long) depth * first;
            Im2col.unrollBand(in, inOff, C, H, W, n, s0, count, K, pad, first, first + width, col, at);
            gemm.sgemm(false, false, F, width, depth, 1f, weight, wOff, depth, col, at, width, beta, out,
                    outOff + first, ldc);
        }

        private int start(int band) {
            return band == bands ? columns : (int) ((long) columns * band / bands) & ~7;
        }

        void clear() {
            gemm = null;
            in = weight = out = col = null;
        }
    }
}
