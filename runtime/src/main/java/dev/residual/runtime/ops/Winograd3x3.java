package dev.residual.runtime.ops;

import dev.residual.runtime.gemm.Gemm;
import java.lang.foreign.MemorySegment;

/**
 * The 3×3, stride-1, padding-1 convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016), for the generated code, which knows at compile time which
 * layers have that shape. The interpreter keeps {@link Conv2d}'s im2col and GEMM.
 *
 * <p><b>Why.</b> Through im2col a 3×3 convolution copies its input nine times and multiplies a {@code F × 9C} weight
 * matrix by it. Winograd cuts the output into 2×2 tiles; each tile's 4×4 input window becomes 16 numbers
 * ({@code V = Bᵀ d B}), each 3×3 kernel 16 numbers ({@code U = G g Gᵀ}), and the convolution becomes 16 independent
 * matrix products {@code M[ξ] = U[ξ] · V[ξ]} ({@code F × C} by {@code C × tiles}), each tile's output being
 * {@code Aᵀ M A}. That is 2.25 times fewer multiplications than the direct product, and the input transform writes 4
 * times the input instead of 9.
 *
 * <p><b>Layout.</b> {@code U[ξ]} is a row-major {@code out × in} matrix, {@code V[ξ]} an {@code in × T} matrix and
 * {@code M[ξ]} an {@code out × T} matrix, where {@code T} counts the tiles of a chunk of images (image-major, then
 * tile rows, then tile columns); the 16 of each are stored one after the other in the scratch. A batch is processed
 * in chunks of a few images so that {@code V} and {@code M} stay in cache between the transforms and the products, as
 * {@link Conv2d} does with its column matrix. An odd height or width gets a last tile that overhangs by one pixel:
 * its input is zero-padded and its extra output is dropped.
 *
 * <p><b>Backward.</b> The input gradient of this convolution is again a 3×3, stride-1, padding-1 convolution, of the
 * output gradient with each kernel rotated by 180° and the two channel axes swapped, so {@link #backwardData} is the
 * same computation with a differently transformed weight. The weight gradient stays with {@link Conv2d#backward}.
 *
 * <p><b>Numerics.</b> The transforms only add, subtract and halve, and a tile's result sums the same products in a
 * different order; measured differences to the im2col path are a few units in the last place of the largest output.
 */
public final class Winograd3x3 {

    private Winograd3x3() {}

    /**
     * The target size, in floats, of one chunk's {@code V} and {@code M}: 256 K floats (1 MB), but never fewer than
     * {@link #MIN_CHUNK_TILES} tiles. Measured per call at batch 128, one thread (CPU time, two runs each): the 16
     * products ran at 13.7 and 13.4 GFLOP/s with 256 K-float chunks against 11.2 and 11.0 with 1 M floats for 16
     * channels of 28×28 (2 against 10 images a chunk), at 19.6 and 19.4 against 16.0 and 14.7 for 32 channels of
     * 14×14; but 64 channels of 7×7 fell to 13.4 from 18.5 with 8 images (128 tiles) a chunk instead of 32.
     */
    static final long CHUNK_FLOATS = 1L << 18;

    /** The fewest tiles a chunk holds when the batch has them: thinner products run far slower (see above). */
    static final int MIN_CHUNK_TILES = 512;

    /** Whether a convolution has the shape this kernel computes: 3×3, stride 1, padding 1. */
    public static boolean applies(int K, int stride, int pad) {
        return K == 3 && stride == 1 && pad == 1;
    }

    /**
     * Floats of scratch {@link #forward} and {@link #backwardData} need for a batch of up to {@code n} images of
     * {@code C} input channels, {@code H×W}, and {@code F} output channels: the transformed weights, then one chunk's
     * {@code V} and {@code M}, or what {@link Conv2d} needs for a call too small for the transforms to pay. A smaller
     * batch needs no more.
     */
    public static long scratchSize(int C, int H, int W, int F, int n) {
        int chunk = chunkImages(C, F, tiles(H) * tiles(W), n);
        return Math.max(scratchSize(C, H, W, F, n, chunk), Conv2d.scratchSize(C, H, W, F, 3, 1, 1, n));
    }

    /** The transforms' scratch for chunks of {@code chunk} images; tests choose the chunks. */
    static long scratchSize(int C, int H, int W, int F, int n, int chunk) {
        return weightArea(C, F) + 16L * (C + F) * tiles(H) * tiles(W) * Math.min(chunk, n);
    }

    /**
     * Forward: {@code out = weight ⊛ in}, the same result as {@link Conv2d#forward} with {@code K = 3}, stride 1,
     * padding 1 and no bias.
     *
     * @param in      input map, channel-major {@code C×(n·H·W)}
     * @param weight  {@code F×C×3×3} (PyTorch OIHW)
     * @param out     output map, channel-major {@code F×(n·H·W)}; must not overlap {@code in} or the scratch
     * @param scratch {@link #scratchSize} floats, overwritten
     */
    public static void forward(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                               MemorySegment weight, long wOff, int F, MemorySegment out, long outOff,
                               MemorySegment scratch, long scratchOff) {
        if (!pays(H, W, n)) {
            Conv2d.forward(gemm, in, inOff, C, H, W, n, weight, wOff, F, 3, 1, 1, null, 0, out, outOff, scratch,
                    scratchOff);
            return;
        }
        convolve(gemm, in, inOff, C, H, W, n, weight, wOff, false, F, out, outOff, false, scratch, scratchOff,
                chunkImages(C, F, tiles(H) * tiles(W), n));
    }

    /**
     * The input gradient of {@link #forward}: {@code dIn = dOut ⊛ rot180(weight)ᵀ}, as {@link Conv2d#backward}
     * computes it for the same convolution.
     *
     * @param dOut       gradient of the output, channel-major {@code F×(n·H·W)}
     * @param weight     the forward's {@code F×C×3×3} weight
     * @param dIn        {@code C×(n·H·W)}; must not overlap {@code dOut} or the scratch
     * @param accumulate {@code false} overwrites {@code dIn}, {@code true} adds the gradient to what it holds
     * @param scratch    {@link #scratchSize} floats (of the forward's shape), overwritten
     */
    public static void backwardData(Gemm gemm, MemorySegment dOut, long dOutOff, int C, int H, int W, int n,
                                    MemorySegment weight, long wOff, int F, MemorySegment dIn, long dInOff,
                                    boolean accumulate, MemorySegment scratch, long scratchOff) {
        if (!pays(H, W, n)) {
            // Only the input gradient: Conv2d reads the forward's input for the weight gradient alone.
            Conv2d.backward(gemm, null, 0, C, H, W, n, weight, wOff, F, 3, 1, 1, dOut, dOutOff, null, 0, null, 0,
                    dIn, dInOff, accumulate, scratch, scratchOff);
            return;
        }
        convolve(gemm, dOut, dOutOff, F, H, W, n, weight, wOff, true, C, dIn, dInOff, accumulate, scratch,
                scratchOff, chunkImages(F, C, tiles(H) * tiles(W), n));
    }

    /**
     * The fewest tiles in a call for which the transforms pay: below, {@link #forward} and {@link #backwardData} hand
     * the call to {@link Conv2d}. Transforming the weights costs the same whatever the batch, so a call with few
     * tiles loses to im2col. Measured per call (one thread, CPU time): 64 channels of 7×7 (16 tiles an image) lose
     * 2.7 times at batch 1 and 1.6 times at 4, tie at 16 and win 1.2 times at 128; 32 channels of 14×14 (49 tiles)
     * win 1.2 times at batch 4; 16 channels of 28×28 (196 tiles) win 1.2 times at batch 1.
     */
    static final int MIN_TILES = 196;

    /** Whether a call over {@code n} images of {@code H×W} goes through the Winograd transforms. */
    static boolean pays(int H, int W, int n) {
        return (long) n * tiles(H) * tiles(W) >= MIN_TILES;
    }

    /**
     * The convolution of {@code in} ({@code inC} channels) into {@code out} ({@code outC} channels). With
     * {@code flipped} false the kernel of (output {@code o}, input {@code i}) is {@code weight[o, i]}; with it true
     * {@code weight} is {@code inC×outC×3×3} and the kernel is {@code weight[i, o]} rotated by 180°.
     */
    static void convolve(Gemm gemm, MemorySegment in, long inOff, int inC, int H, int W, int n,
                         MemorySegment weight, long wOff, boolean flipped, int outC,
                         MemorySegment out, long outOff, boolean accumulate,
                         MemorySegment scratch, long scratchOff, int chunkImages) {
        int perImage = tiles(H) * tiles(W);
        WinogradTransforms.weights(weight, wOff, inC, outC, flipped, scratch, scratchOff);
        long v = scratchOff + weightArea(inC, outC);
        // The batch cut into equal chunks of at most chunkImages (the last may be smaller).
        int chunks = (n + chunkImages - 1) / chunkImages;
        int chunk = (n + chunks - 1) / chunks;
        for (int s0 = 0; s0 < n; s0 += chunk) {
            int count = Math.min(chunk, n - s0);
            int T = count * perImage;
            long m = v + 16L * inC * T;
            WinogradTransforms.input(in, inOff, inC, H, W, n, s0, count, scratch, v);
            for (int xi = 0; xi < 16; xi++) {
                gemm.sgemm(false, false, outC, T, inC, 1f, scratch, scratchOff + (long) xi * outC * inC, inC,
                        scratch, v + (long) xi * inC * T, T, 0f, scratch, m + (long) xi * outC * T, T);
            }
            WinogradTransforms.output(scratch, m, outC, H, W, n, s0, count, accumulate, out, outOff);
        }
    }

    /** Tiles along an axis of {@code size} pixels: 2 output pixels each. */
    static int tiles(int size) {
        return (size + 1) / 2;
    }

    /**
     * Images a chunk holds: as many as fit in {@link #CHUNK_FLOATS} or make {@link #MIN_CHUNK_TILES} tiles,
     * whichever is more, at least 1 and at most {@code n}.
     */
    static int chunkImages(int inC, int outC, int perImage, int n) {
        long floats = 16L * (inC + outC) * perImage;
        long images = Math.max(CHUNK_FLOATS / floats, (MIN_CHUNK_TILES + perImage - 1) / perImage);
        return (int) Math.min(n, Math.max(1, images));
    }

    /** Floats of the 16 transformed weight matrices, rounded up to 16 so that {@code V} stays 64-byte aligned. */
    private static long weightArea(int C, int F) {
        return (16L * C * F + 15) & ~15L;
    }
}
