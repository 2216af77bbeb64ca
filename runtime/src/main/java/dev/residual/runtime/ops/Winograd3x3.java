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

    /** The target size, in floats, of one chunk's {@code V} and {@code M}: 1 M floats (4 MB), as for im2col. */
    static final long CHUNK_FLOATS = 1L << 20;

    /** Whether a convolution has the shape this kernel computes: 3×3, stride 1, padding 1. */
    public static boolean applies(int K, int stride, int pad) {
        return K == 3 && stride == 1 && pad == 1;
    }

    /**
     * Floats of scratch {@link #forward} and {@link #backwardData} need for a batch of up to {@code n} images of
     * {@code C} input channels, {@code H×W}, and {@code F} output channels: the transformed weights, then one chunk's
     * {@code V} and {@code M}. A smaller batch needs no more.
     */
    public static long scratchSize(int C, int H, int W, int F, int n) {
        return scratchSize(C, H, W, F, n, CHUNK_FLOATS);
    }

    /** {@link #scratchSize} for a given chunk target; tests use tiny chunks to run the multi-chunk path. */
    static long scratchSize(int C, int H, int W, int F, int n, long chunkFloats) {
        int tiles = tiles(H) * tiles(W);
        return weightArea(C, F) + 16L * (C + F) * tiles * chunkLimit(C, F, tiles, n, chunkFloats);
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
        convolve(gemm, in, inOff, C, H, W, n, weight, wOff, false, F, out, outOff, false, scratch, scratchOff,
                CHUNK_FLOATS);
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
        convolve(gemm, dOut, dOutOff, F, H, W, n, weight, wOff, true, C, dIn, dInOff, accumulate, scratch,
                scratchOff, CHUNK_FLOATS);
    }

    /**
     * The convolution of {@code in} ({@code inC} channels) into {@code out} ({@code outC} channels). With
     * {@code flipped} false the kernel of (output {@code o}, input {@code i}) is {@code weight[o, i]}; with it true
     * {@code weight} is {@code inC×outC×3×3} and the kernel is {@code weight[i, o]} rotated by 180°.
     */
    static void convolve(Gemm gemm, MemorySegment in, long inOff, int inC, int H, int W, int n,
                         MemorySegment weight, long wOff, boolean flipped, int outC,
                         MemorySegment out, long outOff, boolean accumulate,
                         MemorySegment scratch, long scratchOff, long chunkFloats) {
        int perImage = tiles(H) * tiles(W);
        WinogradTransforms.weights(weight, wOff, inC, outC, flipped, scratch, scratchOff);
        long v = scratchOff + weightArea(inC, outC);
        int limit = chunkLimit(inC, outC, perImage, n, chunkFloats);
        int chunk = (n + (n + limit - 1) / limit - 1) / ((n + limit - 1) / limit);
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

    /** Images a chunk may hold: as many as fit in {@code chunkFloats}, at least 1, at most {@code n}. */
    private static int chunkLimit(int inC, int outC, int perImage, int n, long chunkFloats) {
        long floats = 16L * (inC + outC) * perImage;
        return (int) Math.min(n, Math.max(1, chunkFloats / floats));
    }

    /** Floats of the 16 transformed weight matrices, rounded up to 16 so that {@code V} stays 64-byte aligned. */
    private static long weightArea(int C, int F) {
        return (16L * C * F + 15) & ~15L;
    }
}
