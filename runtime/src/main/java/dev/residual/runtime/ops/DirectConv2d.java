package dev.residual.runtime.ops;

import dev.residual.runtime.gemm.Gemm;
import java.lang.foreign.MemorySegment;

/**
 * The generated code's convolution: {@link Conv2d}'s arguments and results, but computed directly instead of through
 * im2col and a GEMM where that pays, when the JVM has the Vector API: a 3×3, stride-1, padding-1 layer's forward and
 * input gradient by {@link Direct3x3} when the layer is large enough ({@link #direct}), its weight gradient by
 * {@link Direct3x3WeightGradient} ({@link #directWeightGradient}), and the forward of any other layer larger than 1×1
 * on a batch of 1 or 2, or strided, by {@link DirectSmallBatch} ({@link #acrossFilters}). Every other call is
 * {@link Conv2d}'s.
 *
 * <p>The interpreter keeps calling {@link Conv2d}, the generic kernel an eager framework would run; a kernel chosen
 * for a layer's constant shape is what a compiler can do and it cannot.
 *
 * <p><b>The Vector API</b> is an incubator module, so it is on only when the JVM runs with
 * {@code --add-modules jdk.incubator.vector} (the {@code residual} launcher, the tests and the benchmarks do). Without
 * it, or with {@code -D}{@value #PROPERTY}{@code =false}, or on a processor without 256-bit vectors, every call is
 * {@link Conv2d}'s: same results up to rounding, slower. {@link #vectorApiOn} tells which. The generated code sizes
 * the scratch by {@link Conv2d#scratchSize} either way, for that fallback.
 */
public final class DirectConv2d {

    private DirectConv2d() {}

    /** System property that turns the direct kernel off ({@code false}), to compare against im2col + GEMM. */
    public static final String PROPERTY = "residual.directConv";

    private static final boolean VECTORS = vectorsInHardware();
    private static final boolean ON = VECTORS && Boolean.parseBoolean(System.getProperty(PROPERTY, "true"));

    private static boolean vectorsInHardware() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return false;
        }
        // Only now is it safe to load the class that uses the module.
        return Direct3x3.hardwareVectors();
    }

    /**
     * Whether the Vector API is there and runs 256-bit vectors in hardware, whatever {@value #PROPERTY} says: the
     * normalizations' row loops ({@link VectorRows}) use it then.
     */
    static boolean vectorsOn() {
        return VECTORS;
    }

    /** Whether the direct kernel runs: the Vector API is there, in hardware, and not turned off. */
    public static boolean vectorApiOn() {
        return ON;
    }

    /**
     * The fewest pixels per image for which the direct kernels run: forward, input gradient and weight gradient ({@link
     * #directWeightGradient}). Measured on ResNet-20's layers, 2 threads, with OpenBLAS's idle workers asleep ({@code
     * OpenBlasSpin}; bench/README.md): at 14×14 and batch 128 it beats im2col + OpenBLAS for 32 channels (forward
     * 5.9–8.0 against 10.3 ms, input gradient 7.3–8.8 against 10.1–10.3 ms, best of 15; a training step's median 477.9
     * against 503.3, 521.1 against 555.6 and 489.0 against 511.4 ms in three of four alternating runs, 532.5 against
     * 509.8 in the fourth); at 7×7 it loses (6.8–9.0 against 6.1–6.4 ms for 64 channels, where 23 % of its grid is
     * padding). At batch 1 and 2 it also beats {@link DirectSmallBatch}'s kernel at 14×14, since its own kernel reads
     * taps and channels at fixed steps and its packed weights are kept: for 32 channels, best of 20,000 calls 30.7–31.2
     * against 34.5–35.9 µs at batch 1, medians 105–113 against 125–127 µs at batch 2; a batch-1 ResNet-20 pass,
     * alternating in one JVM, 2–7 % lower in min and lower quartile. (Before the workers slept, 14×14 lost at batch
     * 128, 10.1 against 9.3 ms, and the bound was 400 beyond batch 2.)
     */
    static final int MIN_PIXELS = 196;

    /** The largest batch {@link #acrossFilters} takes for a stride-1 layer. */
    static final int SMALL_BATCH = 2;

    /**
     * The fewest input channels for which the direct kernel runs: with one channel (ResNet-20's stem) a filter's nine
     * taps are all its work, and packing the grids costs more than the GEMM (1.86 against 1.52 ms at batch 128).
     */
    static final int MIN_CHANNELS = 8;

    /**
     * Whether a convolution of this shape runs directly on a batch of {@code n}: 3×3, stride 1, padding 1, at least
     * {@link #MIN_CHANNELS} input channels of at least {@link #MIN_PIXELS} pixels, with the kernel on, at any batch.
     */
    public static boolean direct(int C, int H, int W, int K, int stride, int pad) {
        return ON && K == 3 && stride == 1 && pad == 1 && C >= MIN_CHANNELS && H * W >= MIN_PIXELS;
    }

    /**
     * The most weights ({@code F·C·K·K}) {@link DirectSmallBatch} keeps a packed copy of: 1 MB, which takes every
     * layer of the ResNets here.
     */
    static final int MAX_PACKED = 1 << 18;

    /**
     * Whether a convolution's forward on a batch of {@code n} runs as {@link DirectSmallBatch}, whose vectors run across
     * filters: a batch of at most {@link #SMALL_BATCH} or a strided layer at any batch, a kernel larger than 1×1,
     * {@code F} a multiple of 16, at least {@link #MIN_CHANNELS} input channels, and not a layer that {@link #direct}
     * takes. Measured at batch 1 on 2 threads against im2col + OpenBLAS (best of 30 rounds, bench/README.md): 42
     * against 77 µs for 32 channels of 14×14, 45 against 72 for 64 of 7×7, 34–43 against 70–92 for the stride-2 3×3
     * layers; a 1×1 layer lost (17 against 12 µs), as did the layers {@link #direct} takes (at 28×28, 62 against 43 µs;
     * at 14×14, see {@link #MIN_PIXELS}). On larger batches, 2 threads, the two alternating on the same data (medians
     * of 25): the stride-2 layers 7.1 against 9.4 ms (16 → 32 channels, 28×28 → 14×14) and 5.5 against 6.4 ms
     * (32 → 64, 14×14 → 7×7) at batch 128, 3.7 against 5.6 and 2.9 against 3.2 ms at batch 64, where im2col's gather
     * of every other pixel is slow; 64 channels of 7×7 at stride 1 tied (9.6 against 11.3 ms, 4.0 against 4.0), so
     * they stay with im2col + OpenBLAS.
     */
    public static boolean acrossFilters(int C, int H, int W, int F, int K, int stride, int pad, int n) {
        return ON && (n <= SMALL_BATCH || stride > 1) && K > 1 && F % DirectSmallBatch.GROUP == 0
                && C >= MIN_CHANNELS && (long) F * C * K * K <= MAX_PACKED && !direct(C, H, W, K, stride, pad);
    }

    /**
     * {@link Conv2d#forward}: {@link DirectSmallBatch} for a {@link #acrossFilters} layer, else {@link Direct3x3} for a
     * {@link #direct} one, else {@link Conv2d}'s.
     */
    public static void forward(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                               MemorySegment weight, long wOff, int F, int K, int stride, int pad,
                               MemorySegment bias, long bOff, MemorySegment out, long outOff,
                               MemorySegment col, long colOff) {
        forward(gemm, in, inOff, C, H, W, n, weight, wOff, F, K, stride, pad, bias, bOff, out, outOff, col, colOff,
                -1);
    }

    /**
     * {@link #forward}, told the weights' version: a compiled model's {@code weightsVersion}, which changes with every
     * change it makes to its weights (−1 when it cannot know). The direct kernels keep each layer's weights packed,
     * and reuse the packing without comparing the weights with their copy while the version is the one it was made
     * at: the comparison reads each layer's weights twice, 7 % of a batch-1 ResNet-20 pass.
     */
    public static void forward(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                               MemorySegment weight, long wOff, int F, int K, int stride, int pad,
                               MemorySegment bias, long bOff, MemorySegment out, long outOff,
                               MemorySegment col, long colOff, long weightsVersion) {
        if (acrossFilters(C, H, W, F, K, stride, pad, n)) {
            DirectSmallBatch.forward(gemm, in, inOff, C, H, W, n, weight, wOff, F, K, stride, pad, out, outOff,
                    weightsVersion);
        } else if (direct(C, H, W, K, stride, pad)) {
            Direct3x3.convolve(gemm, in, inOff, C, H, W, n, weight, wOff, F, false, out, outOff, false,
                    weightsVersion);
        } else {
            Conv2d.forward(gemm, in, inOff, C, H, W, n, weight, wOff, F, K, stride, pad, bias, bOff, out, outOff,
                    col, colOff);
            return;
        }
        if (bias != null) {
            Elementwise.biasAddRelu(out, outOff, F, H * W, n, bias, bOff, null, 0, false, out, outOff);
        }
    }

    /**
     * Whether a convolution's weight gradient runs as {@link Direct3x3WeightGradient}: the layers {@link #direct}
     * takes. Measured at batch 128 on 2 threads, the two kernels alternating on the same data (bench/README.md): 5.8
     * and 6.5 against 9.6 and 14.9 ms (medians of 15) for 32 channels of 14×14, which took im2col + OpenBLAS until
     * the kernel's accumulators fitted the registers; 7.9 and 8.4 against 5.5 ms for 64 of 7×7, which {@link #direct}
     * leaves to im2col too. Inside a ResNet-20 step before that change: 9.9 against 15.9 ms for 16 channels of 28×28.
     */
    public static boolean directWeightGradient(int C, int H, int W, int K, int stride, int pad) {
        return direct(C, H, W, K, stride, pad);
    }

    /**
     * {@link Conv2d#backward}: the weight gradient as {@link Direct3x3WeightGradient} for a layer
     * {@link #directWeightGradient} takes, and the input gradient, for a layer {@link #direct} takes, as the direct
     * convolution of {@code dOut} with the weights transposed and rotated by 180°; the rest (and the bias gradient)
     * as {@link Conv2d}'s.
     */
    public static void backward(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                                MemorySegment weight, long wOff, int F, int K, int stride, int pad,
                                MemorySegment dOut, long dOutOff,
                                MemorySegment dWeight, long dwOff, MemorySegment dBias, long dbOff,
                                MemorySegment dIn, long dInOff, boolean accumulate,
                                MemorySegment col, long colOff) {
        boolean directWeights = dWeight != null && directWeightGradient(C, H, W, K, stride, pad);
        boolean directInput = dIn != null && direct(C, H, W, K, stride, pad);
        Conv2d.backward(gemm, in, inOff, C, H, W, n, weight, wOff, F, K, stride, pad, dOut, dOutOff,
                directWeights ? null : dWeight, dwOff, dBias, dbOff, directInput ? null : dIn, dInOff, accumulate,
                col, colOff);
        if (directWeights) {
            Direct3x3WeightGradient.compute(in, inOff, C, H, W, n, dOut, dOutOff, F, dWeight, dwOff);
        }
        if (directInput) {
            Direct3x3.convolve(gemm, dOut, dOutOff, F, H, W, n, weight, wOff, C, true, dIn, dInOff, accumulate);
        }
    }
}
