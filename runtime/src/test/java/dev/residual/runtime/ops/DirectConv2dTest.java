package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.assertClose;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.toChannelMajor;
import static dev.residual.runtime.ops.Fixtures.toNchw;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The generated code's convolution: the direct 3×3 kernel's forward and input gradient against the definitions in
 * double, on one and two threads, over shapes that exercise its grid (odd sizes, one-pixel images, several chunks,
 * an odd number of filters); and {@link DirectConv2d} sending each shape to the kernel it should.
 */
class DirectConv2dTest {

    private static final Gemm GEMM = Backends.defaultGemm();

    @Test
    void theTestsRunWithTheVectorApi() {
        // The pom adds jdk.incubator.vector to the test JVM; without it every case below would test Conv2d only.
        assertTrue(DirectConv2d.vectorApiOn(), "run the tests with --add-modules jdk.incubator.vector");
        assertTrue(DirectConv2d.direct(16, 28, 28, 3, 1, 1));
        assertTrue(DirectConv2d.direct(32, 14, 14, 3, 1, 1)); // at any batch
        assertFalse(DirectConv2d.direct(32, 13, 15, 3, 1, 1));
        assertFalse(DirectConv2d.direct(64, 7, 7, 3, 1, 1));
        assertFalse(DirectConv2d.direct(1, 28, 28, 3, 1, 1));
        assertFalse(DirectConv2d.direct(16, 28, 28, 3, 2, 1));
        assertFalse(DirectConv2d.direct(16, 28, 28, 1, 1, 0));
        assertFalse(DirectConv2d.direct(16, 28, 28, 5, 1, 2));
    }

    @ParameterizedTest(name = "{0} channels of {1}×{1}, batch {2}")
    @MethodSource("routes")
    void largeLayersGoToTheDirectKernelSmallOnesToIm2col(int C, int size, int n, boolean direct,
                                                         boolean directWeights) {
        assertEquals(directWeights, DirectConv2d.directWeightGradient(C, size, size, 3, 1, 1), "weight route");
        int F = 6, hw = size * size;
        SplittableRandom random = new SplittableRandom(size);
        float[] x = uniform(random, n * C * hw, -1, 1);
        float[] w = uniform(random, F * C * 9, -1, 1);
        float[] dy = uniform(random, n * F * hw, -1, 1);
        try (Arena arena = Arena.ofShared()) {
            Buf in = place(arena, x), weight = place(arena, w), gradient = place(arena, dy);
            Buf col = empty(arena, Conv2d.scratchSize(C, size, size, F, 3, 1, 1, n));
            Buf routed = empty(arena, (long) n * F * hw), expected = empty(arena, (long) n * F * hw);
            Buf routedIn = empty(arena, (long) n * C * hw), expectedIn = empty(arena, (long) n * C * hw);
            Buf routedWeight = empty(arena, (long) F * C * 9), expectedWeight = empty(arena, (long) F * C * 9);
            DirectConv2d.forward(GEMM, in.seg(), in.off(), C, size, size, n, weight.seg(), weight.off(), F, 3, 1, 1,
                    null, 0, routed.seg(), routed.off(), col.seg(), col.off());
            DirectConv2d.backward(GEMM, in.seg(), in.off(), C, size, size, n, weight.seg(), weight.off(), F, 3, 1,
                    1, gradient.seg(), gradient.off(), routedWeight.seg(), routedWeight.off(), null, 0,
                    routedIn.seg(), routedIn.off(), false, col.seg(), col.off());
            Conv2d.backward(GEMM, in.seg(), in.off(), C, size, size, n, weight.seg(), weight.off(), F, 3, 1, 1,
                    gradient.seg(), gradient.off(), directWeights ? null : expectedWeight.seg(), expectedWeight.off(),
                    null, 0, direct ? null : expectedIn.seg(), expectedIn.off(), false, col.seg(), col.off());
            if (directWeights) {
                Direct3x3WeightGradient.compute(in.seg(), in.off(), C, size, size, n, gradient.seg(), gradient.off(),
                        F, expectedWeight.seg(), expectedWeight.off());
            }
            if (direct) {
                Direct3x3.convolve(GEMM, in.seg(), in.off(), C, size, size, n, weight.seg(), weight.off(), F, false,
                        expected.seg(), expected.off(), false);
                Direct3x3.convolve(GEMM, gradient.seg(), gradient.off(), F, size, size, n, weight.seg(), weight.off(), C,
                        true, expectedIn.seg(), expectedIn.off(), false);
            } else {
                Conv2d.forward(GEMM, in.seg(), in.off(), C, size, size, n, weight.seg(), weight.off(), F, 3, 1, 1,
                        null, 0, expected.seg(), expected.off(), col.seg(), col.off());
            }
            // The same kernels give the same bits.
            assertArrayEquals(expected.read(n * F * hw), routed.read(n * F * hw), "forward");
            assertArrayEquals(expectedIn.read(n * C * hw), routedIn.read(n * C * hw), "input gradient");
            assertArrayEquals(expectedWeight.read(F * C * 9), routedWeight.read(F * C * 9), "weight gradient");
        }
    }

    static Stream<Arguments> routes() {
        // C, size, n, forward and input gradient direct, weight gradient direct
        return Stream.of(Arguments.of(8, 28, 3, true, true), Arguments.of(8, 20, 3, true, true),
                Arguments.of(8, 19, 3, true, true), Arguments.of(8, 14, 2, true, true),
                Arguments.of(8, 13, 1, false, false), Arguments.of(8, 7, 1, false, false),
                Arguments.of(8, 20, 1, true, true), Arguments.of(7, 28, 3, false, false),
                Arguments.of(1, 28, 1, false, false));
    }

    static Stream<Arguments> shapes() {
        return Stream.of(
                // C, H, W, F, n
                Arguments.of(3, 9, 9, 4, 1),
                Arguments.of(5, 7, 11, 3, 3),    // odd filters, a non-square image
                Arguments.of(16, 28, 28, 16, 5), // ResNet-20's stage 1: several chunks of images
                Arguments.of(64, 7, 7, 64, 2),   // stage 3
                Arguments.of(2, 1, 1, 2, 4),     // one-pixel images: only the centre tap sees the image
                Arguments.of(1, 2, 3, 1, 5),
                Arguments.of(7, 13, 5, 9, 2));
    }

    @ParameterizedTest(name = "C{0} {1}×{2} F{3} n{4}")
    @MethodSource("shapes")
    void forwardAndInputGradientMatchTheDefinitions(int C, int H, int W, int F, int n) {
        SplittableRandom random = new SplittableRandom(17L * C + 5L * H + 3L * W + F + 101L * n);
        float[] x = uniform(random, n * C * H * W, -1, 1);
        float[] w = uniform(random, F * C * 9, -1, 1);
        float[] dy = uniform(random, n * F * H * W, -1, 1);
        float[] prior = uniform(random, n * C * H * W, -1, 1);
        for (int threads : new int[] {1, 2}) {
            float[][] one = run(C, H, W, F, n, x, w, dy, prior, threads);
            double[] expected = new double[n * F * H * W], magnitude = new double[expected.length];
            Conv2dTest.reference(x, w, null, n, C, H, W, F, 3, 1, 1, expected, magnitude);
            assertClose(expected, magnitude, one[0], 1e-5, "forward, " + threads + " threads");
            double[] dx = new double[n * C * H * W], dxMagnitude = new double[dx.length];
            inputGradientReference(dy, w, n, C, H, W, F, dx, dxMagnitude);
            assertClose(dx, dxMagnitude, one[1], 1e-5, "input gradient, " + threads + " threads");
            double[] accumulated = new double[dx.length];
            for (int i = 0; i < dx.length; i++) {
                accumulated[i] = dx[i] + prior[i];
                dxMagnitude[i] += Math.abs(prior[i]);
            }
            assertClose(accumulated, dxMagnitude, one[2], 1e-5, "accumulated input gradient, " + threads + " threads");
        }
    }

    /**
     * The packed weights are kept while unchanged: an update in place, anywhere in the weights, as the optimizer makes,
     * must be seen by the forward and by the input gradient (which read the same weights in two packings), and a
     * second layer of the same shape must keep its own.
     */
    @Test
    void weightsChangedInPlaceArePackedAgain() {
        int C = 8, H = 14, W = 14, F = 5, n = 2, hw = H * W;
        SplittableRandom random = new SplittableRandom(23);
        float[] x = uniform(random, n * C * hw, -1, 1);
        float[] dy = uniform(random, n * F * hw, -1, 1);
        float[][] w = {uniform(random, F * C * 9, -1, 1), uniform(random, F * C * 9, -1, 1)};
        try (Arena arena = Arena.ofShared()) {
            Buf in = place(arena, toChannelMajor(x, n, C, hw)), gradient = place(arena, toChannelMajor(dy, n, F, hw));
            Buf[] weight = {place(arena, w[0]), place(arena, w[1])};
            Buf out = empty(arena, (long) n * F * hw), dIn = empty(arena, (long) n * C * hw);
            int[] changed = {0, 8, 9 * C, F * C * 9 / 2, F * C * 9 - 1};
            for (int round = 0; round <= changed.length; round++) {
                for (int layer = 0; layer < 2; layer++) {
                    String what = "layer " + layer + ", round " + round;
                    Direct3x3.convolve(GEMM, in.seg(), in.off(), C, H, W, n, weight[layer].seg(),
                            weight[layer].off(), F, false, out.seg(), out.off(), false);
                    double[] expected = new double[n * F * hw], magnitude = new double[expected.length];
                    Conv2dTest.reference(x, w[layer], null, n, C, H, W, F, 3, 1, 1, expected, magnitude);
                    assertClose(expected, magnitude, toNchw(out.read(n * F * hw), n, F, hw), 1e-5, what);
                    Direct3x3.convolve(GEMM, gradient.seg(), gradient.off(), F, H, W, n, weight[layer].seg(),
                            weight[layer].off(), C, true, dIn.seg(), dIn.off(), false);
                    double[] dx = new double[n * C * hw], dxMagnitude = new double[dx.length];
                    inputGradientReference(dy, w[layer], n, C, H, W, F, dx, dxMagnitude);
                    assertClose(dx, dxMagnitude, toNchw(dIn.read(n * C * hw), n, C, hw), 1e-5, what + ", input grad");
                }
                if (round < changed.length) {
                    int at = changed[round];
                    w[0][at] = 1.5f - w[0][at];
                    weight[0].seg().setAtIndex(JAVA_FLOAT, weight[0].off() + at, w[0][at]);
                }
            }
        }
    }

    /** Batch 5 spans several chunks, split by {@link Workers}; batch 1 is one chunk, run as the GEMM's bands. */
    @ParameterizedTest(name = "batch {0}")
    @ValueSource(ints = {1, 5})
    void twoThreadsGiveTheBitsOfOne(int n) {
        int C = 16, H = 28, W = 28, F = 16;
        SplittableRandom random = new SplittableRandom(3);
        float[] x = uniform(random, n * C * H * W, -1, 1);
        float[] w = uniform(random, F * C * 9, -1, 1);
        float[] dy = uniform(random, n * F * H * W, -1, 1);
        float[] prior = uniform(random, n * C * H * W, -1, 1);
        float[][] one = run(C, H, W, F, n, x, w, dy, prior, 1);
        long splitBefore = Workers.shared().splitCalls();
        float[][] two = run(C, H, W, F, n, x, w, dy, prior, 2);
        if (n > 1) {
            assertTrue(Workers.shared().splitCalls() > splitBefore, "the two-thread run was split");
        }
        for (int i = 0; i < one.length; i++) {
            assertArrayEquals(one[i], two[i], "output " + i);
        }
    }

    /**
     * Rows are copied in and out in vectors of the Vector API, from and to the caller's segments: a heap segment over a
     * {@code float[]} gives the bits a native one does.
     */
    @Test
    void heapSegmentsGiveTheBitsOfNativeOnes() {
        int C = 8, H = 12, W = 13, F = 8, n = 2;
        SplittableRandom random = new SplittableRandom(29);
        float[] x = toChannelMajor(uniform(random, n * C * H * W, -1, 1), n, C, H * W);
        float[] w = uniform(random, F * C * 9, -1, 1);
        float[] heapOut = new float[n * F * H * W];
        try (Arena arena = Arena.ofShared()) {
            Buf in = place(arena, x), weight = place(arena, w), out = empty(arena, heapOut.length);
            Direct3x3.convolve(GEMM, in.seg(), in.off(), C, H, W, n, weight.seg(), weight.off(), F, false, out.seg(),
                    out.off(), false);
            Direct3x3.convolve(GEMM, MemorySegment.ofArray(x), 0, C, H, W, n, weight.seg(), weight.off(), F, false,
                    MemorySegment.ofArray(heapOut), 0, false);
            assertArrayEquals(out.read(heapOut.length), heapOut);
        }
    }

    /**
     * Forward, input gradient and input gradient added onto {@code prior}, each NCHW, computed by the direct kernel
     * with the shared pool at {@code threads}; every output is checked to leave the floats beyond it untouched.
     */
    private static float[][] run(int C, int H, int W, int F, int n, float[] x, float[] w, float[] dy, float[] prior,
                                 int threads) {
        Workers pool = Workers.shared();
        int before = pool.threads();
        pool.setThreads(threads);
        try (Arena arena = Arena.ofShared()) {
            int hw = H * W;
            Buf in = place(arena, toChannelMajor(x, n, C, hw), (long) MAX_N * C * hw);
            Buf weight = place(arena, w);
            Buf gradient = place(arena, toChannelMajor(dy, n, F, hw), (long) MAX_N * F * hw);
            Buf out = empty(arena, (long) MAX_N * F * hw);
            Buf dIn = empty(arena, (long) MAX_N * C * hw);
            Buf added = place(arena, toChannelMajor(prior, n, C, hw), (long) MAX_N * C * hw);

            Direct3x3.convolve(GEMM, in.seg(), in.off(), C, H, W, n, weight.seg(), weight.off(), F, false, out.seg(),
                    out.off(), false);
            Direct3x3.convolve(GEMM, gradient.seg(), gradient.off(), F, H, W, n, weight.seg(), weight.off(), C, true,
                    dIn.seg(), dIn.off(), false);
            Direct3x3.convolve(GEMM, gradient.seg(), gradient.off(), F, H, W, n, weight.seg(), weight.off(), C, true,
                    added.seg(), added.off(), true);
            out.assertUntouchedBeyond((long) n * F * hw, "forward output");
            dIn.assertUntouchedBeyond((long) n * C * hw, "input gradient");
            added.assertUntouchedBeyond((long) MAX_N * C * hw, "accumulated input gradient");
            return new float[][] {
                toNchw(out.read(n * F * hw), n, F, hw),
                toNchw(dIn.read(n * C * hw), n, C, hw),
                toNchw(added.read(n * C * hw), n, C, hw),
            };
        } finally {
            pool.setThreads(before);
        }
    }

    /**
     * The adjoint of the forward: every output gradient {@code dy[s,f,y,x]} sends {@code w[f,c,ky,kx]·dy} to the
     * input pixel {@code (s, c, y−1+ky, x−1+kx)} that term read.
     */
    private static void inputGradientReference(float[] dy, float[] w, int n, int C, int H, int W, int F,
                                               double[] dx, double[] magnitude) {
        for (int s = 0; s < n; s++) {
            for (int f = 0; f < F; f++) {
                for (int y = 0; y < H; y++) {
                    for (int xx = 0; xx < W; xx++) {
                        double g = dy[((s * F + f) * H + y) * W + xx];
                        for (int c = 0; c < C; c++) {
                            for (int ky = 0; ky < 3; ky++) {
                                for (int kx = 0; kx < 3; kx++) {
                                    int iy = y - 1 + ky, ix = xx - 1 + kx;
                                    if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
                                        double term = w[((f * C + c) * 3 + ky) * 3 + kx] * g;
                                        dx[((s * C + c) * H + iy) * W + ix] += term;
                                        magnitude[((s * C + c) * H + iy) * W + ix] += Math.abs(term);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
