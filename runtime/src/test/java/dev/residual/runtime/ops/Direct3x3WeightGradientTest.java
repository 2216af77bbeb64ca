package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.assertClose;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.toChannelMajor;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The direct 3×3 weight gradient against the definition in double over shapes that exercise its grids, slices and
 * filter groups, on one and two threads; no stale grid between calls of different shapes; no allocation once warm;
 * and {@link DirectConv2d} sending it the layers it should.
 */
class Direct3x3WeightGradientTest {

    @Test
    void largeImagesOfEightChannelsOrMoreGoHere() {
        assertTrue(DirectConv2d.directWeightGradient(16, 28, 28, 3, 1, 1), "stage 1");
        assertTrue(DirectConv2d.directWeightGradient(8, 14, 14, 3, 1, 1), "196 pixels");
        assertFalse(DirectConv2d.directWeightGradient(8, 13, 15, 3, 1, 1), "195 pixels");
        assertTrue(DirectConv2d.directWeightGradient(32, 14, 14, 3, 1, 1), "stage 2");
        assertFalse(DirectConv2d.directWeightGradient(64, 7, 7, 3, 1, 1), "stage 3");
        assertFalse(DirectConv2d.directWeightGradient(7, 28, 28, 3, 1, 1), "seven channels");
        assertFalse(DirectConv2d.directWeightGradient(16, 28, 28, 3, 2, 1), "stride 2");
        assertFalse(DirectConv2d.directWeightGradient(16, 28, 28, 1, 1, 0), "1×1");
        assertFalse(DirectConv2d.directWeightGradient(16, 28, 28, 5, 1, 2), "5×5");
    }

    static Stream<Arguments> shapes() {
        return Stream.of(
                // C, H, W, F, n
                Arguments.of(16, 28, 28, 16, 20), // ResNet-20's stage 1: ten chunks in eight slices
                Arguments.of(32, 14, 14, 32, 9),  // stage 2: three chunks
                Arguments.of(64, 7, 7, 64, 3),    // stage 3: one chunk, filters in groups
                Arguments.of(9, 7, 11, 5, 4),     // odd channels and filters, a non-square image
                Arguments.of(8, 1, 1, 3, 6),      // one-pixel images: only the centre tap sees the image
                Arguments.of(10, 2, 3, 1, 5),     // one filter
                Arguments.of(12, 13, 5, 34, 1));  // batch 1: seventeen filter pairs in six groups
    }

    @ParameterizedTest(name = "C{0} {1}×{2} F{3} n{4}")
    @MethodSource("shapes")
    void matchesTheDefinitionOnOneAndTwoThreads(int C, int H, int W, int F, int n) {
        SplittableRandom random = new SplittableRandom(13L * C + 7L * H + 3L * W + F + 101L * n);
        float[] x = uniform(random, n * C * H * W, -1, 1);
        float[] dy = uniform(random, n * F * H * W, -1, 1);
        double[] expected = new double[F * C * 9], magnitude = new double[expected.length];
        reference(x, dy, n, C, H, W, F, expected, magnitude);
        float[] one = run(C, H, W, F, n, x, dy, 1);
        assertClose(expected, magnitude, one, 1e-5, "one thread");
        long splitBefore = Workers.shared().splitCalls();
        float[] two = run(C, H, W, F, n, x, dy, 2);
        // The slices and filter groups depend on the shapes only, and are added in one order.
        assertArrayEquals(one, two, "two threads against one");
        if ((long) n * C * H * W >= 1 << 17) {
            assertTrue(Workers.shared().splitCalls() > splitBefore, "the two-thread run was split");
        }
    }

    @Test
    void anOddCountAfterAnEvenOneReadsNoStaleGrid() {
        // The grids are kept per thread; an odd count's extra channel and filter must read as zeros, not as what the
        // larger call before left in them.
        SplittableRandom random = new SplittableRandom(4);
        int H = 6, W = 6, n = 2;
        for (int[] shape : new int[][] {{10, 6}, {9, 5}, {12, 8}, {11, 7}}) {
            int C = shape[0], F = shape[1];
            float[] x = uniform(random, n * C * H * W, -1, 1);
            float[] dy = uniform(random, n * F * H * W, -1, 1);
            double[] expected = new double[F * C * 9], magnitude = new double[expected.length];
            reference(x, dy, n, C, H, W, F, expected, magnitude);
            assertClose(expected, magnitude, run(C, H, W, F, n, x, dy, 1), 1e-5, C + " channels, " + F + " filters");
        }
    }

    /** The weight gradient with {@link Workers} at {@code threads}; the floats beyond it are checked untouched. */
    private static float[] run(int C, int H, int W, int F, int n, float[] x, float[] dy, int threads) {
        Workers pool = Workers.shared();
        int before = pool.threads();
        pool.setThreads(threads);
        try (Arena arena = Arena.ofShared()) {
            int hw = H * W;
            Buf in = place(arena, toChannelMajor(x, n, C, hw), (long) Math.max(n, MAX_N) * C * hw);
            Buf gradient = place(arena, toChannelMajor(dy, n, F, hw), (long) Math.max(n, MAX_N) * F * hw);
            Buf dWeight = empty(arena, (long) F * C * 9);
            Direct3x3WeightGradient.compute(in.seg(), in.off(), C, H, W, n, gradient.seg(), gradient.off(), F,
                    dWeight.seg(), dWeight.off());
            dWeight.assertUntouchedBeyond((long) F * C * 9, "weight gradient");
            return dWeight.read(F * C * 9);
        } finally {
            pool.setThreads(before);
        }
    }

    /** {@code dW[f,c,ky,kx] = Σ dy[s,f,y,x] · x[s,c,y−1+ky,x−1+kx]} over the pixels where that input is inside. */
    private static void reference(float[] x, float[] dy, int n, int C, int H, int W, int F, double[] dw,
                                  double[] magnitude) {
        for (int s = 0; s < n; s++) {
            for (int f = 0; f < F; f++) {
                for (int c = 0; c < C; c++) {
                    for (int ky = 0; ky < 3; ky++) {
                        for (int kx = 0; kx < 3; kx++) {
                            double sum = 0, size = 0;
                            for (int y = 0; y < H; y++) {
                                int iy = y - 1 + ky;
                                for (int xx = 0; xx < W; xx++) {
                                    int ix = xx - 1 + kx;
                                    if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
                                        double term = (double) dy[((s * F + f) * H + y) * W + xx]
                                                * x[((s * C + c) * H + iy) * W + ix];
                                        sum += term;
                                        size += Math.abs(term);
                                    }
                                }
                            }
                            int at = ((f * C + c) * 3 + ky) * 3 + kx;
                            dw[at] += sum;
                            magnitude[at] += size;
                        }
                    }
                }
            }
        }
    }

    @Test
    void allocatesNothingOnceWarm() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int C = 16, H = 14, W = 14, F = 16, n = 8;
        SplittableRandom random = new SplittableRandom(9);
        try (Arena arena = Arena.ofShared()) {
            Buf in = place(arena, uniform(random, n * C * H * W, -1, 1));
            Buf gradient = place(arena, uniform(random, n * F * H * W, -1, 1));
            Buf dWeight = empty(arena, (long) F * C * 9);
            long bytes = -1;
            for (int round = 0; round < 20 && bytes != 0; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 50; i++) {
                    Direct3x3WeightGradient.compute(in.seg(), in.off(), C, H, W, n, gradient.seg(), gradient.off(), F,
                            dWeight.seg(), dWeight.off());
                }
                bytes = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, bytes, "bytes allocated by 50 calls after warm-up");
        }
    }
}
