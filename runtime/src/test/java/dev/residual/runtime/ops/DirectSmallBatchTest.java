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

import dev.residual.runtime.Threads;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The small-batch direct convolution: its forward against the definition in double over kernel sizes, strides,
 * paddings and image shapes, on one and two threads; its packed weights following the weights they were packed from;
 * no allocation once warm; and {@link DirectConv2d} sending to it the layers it should.
 */
class DirectSmallBatchTest {

    /** Two threads, so that a call is cut into parts that the GEMM's band helper shares. */
    private static final Gemm GEMM = Threads.gemm("auto", 2);

    @Test
    void acrossFiltersesOfSmallImagesGoHere() {
        assertTrue(DirectConv2d.acrossFilters(64, 7, 7, 64, 3, 1, 1, 2), "stage 3");
        assertTrue(DirectConv2d.acrossFilters(16, 28, 28, 32, 3, 2, 1, 1), "a stride-2 layer");
        assertTrue(DirectConv2d.acrossFilters(32, 14, 14, 64, 3, 2, 1, 1), "stage 3's stride-2 layer");
        assertFalse(DirectConv2d.acrossFilters(16, 28, 28, 16, 3, 1, 1, 1), "28×28 stays with Direct3x3");
        assertFalse(DirectConv2d.acrossFilters(32, 14, 14, 32, 3, 1, 1, 1), "14×14 stays with Direct3x3");
        assertFalse(DirectConv2d.acrossFilters(64, 7, 7, 64, 3, 1, 1, 3), "a larger batch");
        assertTrue(DirectConv2d.acrossFilters(16, 28, 28, 32, 3, 2, 1, 128), "a stride-2 layer, batch 128");
        assertFalse(DirectConv2d.acrossFilters(16, 28, 28, 32, 1, 2, 0, 1), "a 1×1 layer");
        assertFalse(DirectConv2d.acrossFilters(64, 7, 7, 24, 3, 1, 1, 1), "filters not a multiple of 16");
        assertFalse(DirectConv2d.acrossFilters(1, 28, 28, 16, 3, 1, 1, 1), "one input channel");
        assertFalse(DirectConv2d.acrossFilters(512, 7, 7, 512, 3, 1, 1, 1), "weights too large to keep packed");
    }

    static Stream<Arguments> shapes() {
        return Stream.of(
                // C, H, W, F, K, stride, pad, n
                Arguments.of(32, 14, 14, 32, 3, 1, 1, 1),  // ResNet-20's stage 2
                Arguments.of(64, 7, 7, 64, 3, 1, 1, 2),    // stage 3, batch 2
                Arguments.of(16, 28, 28, 32, 3, 2, 1, 1),  // the stride-2 layer into stage 2
                Arguments.of(8, 9, 11, 16, 5, 2, 2, 2),    // a non-square image, a 5×5 kernel
                Arguments.of(8, 1, 1, 16, 3, 1, 1, 1),     // one pixel: only the centre tap sees the image
                Arguments.of(12, 6, 5, 48, 2, 1, 0, 1),    // an even kernel without padding
                Arguments.of(8, 7, 7, 16, 3, 3, 0, 2),     // a stride as large as the kernel
                Arguments.of(16, 28, 28, 32, 3, 2, 1, 5)); // a stride-2 layer on a larger batch
    }

    @ParameterizedTest(name = "C{0} {1}×{2} F{3} K{4} s{5} p{6} n{7}")
    @MethodSource("shapes")
    void forwardMatchesTheDefinition(int C, int H, int W, int F, int K, int stride, int pad, int n) {
        SplittableRandom random = new SplittableRandom(31L * C + 7L * H + W + F + K + stride + pad + n);
        float[] x = uniform(random, n * C * H * W, -1, 1);
        float[] w = uniform(random, F * C * K * K, -1, 1);
        int OH = Conv2d.outputSize(H, K, stride, pad), OW = Conv2d.outputSize(W, K, stride, pad);
        double[] expected = new double[n * F * OH * OW], magnitude = new double[expected.length];
        Conv2dTest.reference(x, w, null, n, C, H, W, F, K, stride, pad, expected, magnitude);
        float[] one = run(C, H, W, F, K, stride, pad, n, x, w, 1);
        assertClose(expected, magnitude, one, 1e-5, "one thread");
        float[] two = run(C, H, W, F, K, stride, pad, n, x, w, 2);
        // Each output is one fixed sum whoever computes it.
        assertArrayEquals(one, two, "two threads against one");
    }

    /** The forward with {@link Workers} at {@code threads}, NCHW; the output's floats beyond it are checked untouched. */
    private static float[] run(int C, int H, int W, int F, int K, int stride, int pad, int n, float[] x, float[] w,
                               int threads) {
        Workers pool = Workers.shared();
        int before = pool.threads();
        pool.setThreads(threads);
        try (Arena arena = Arena.ofShared()) {
            int OH = Conv2d.outputSize(H, K, stride, pad), OW = Conv2d.outputSize(W, K, stride, pad);
            Buf in = place(arena, toChannelMajor(x, n, C, H * W), (long) MAX_N * C * H * W);
            Buf weight = place(arena, w);
            Buf out = empty(arena, (long) MAX_N * F * OH * OW);
            DirectSmallBatch.forward(GEMM, in.seg(), in.off(), C, H, W, n, weight.seg(), weight.off(), F, K, stride,
                    pad, out.seg(), out.off());
            out.assertUntouchedBeyond((long) n * F * OH * OW, "output");
            return toNchw(out.read(n * F * OH * OW), n, F, OH * OW);
        } finally {
            pool.setThreads(before);
        }
    }

    @Test
    void changedWeightsArePackedAgainAndEachLayerKeepsItsOwn() {
        int C = 16, H = 7, W = 7, F = 16, K = 3, n = 1;
        SplittableRandom random = new SplittableRandom(5);
        float[] x = uniform(random, C * H * W, -1, 1);
        float[] w1 = uniform(random, F * C * K * K, -1, 1);
        float[] w2 = uniform(random, F * C * K * K, -1, 1);
        try (Arena arena = Arena.ofShared()) {
            Buf in = place(arena, x);
            Buf first = place(arena, w1), second = place(arena, w2);
            Buf out = empty(arena, (long) F * H * W);
            for (int round = 0; round < 3; round++) {
                // Two layers of the same shape in turn, as a model's pass calls them.
                assertForward(in, first, w1, out, C, H, W, F, K, n, "first layer, round " + round);
                assertForward(in, second, w2, out, C, H, W, F, K, n, "second layer, round " + round);
                // An update in place, as the optimizer makes: one weight of the first layer.
                int at = round * 37 % w1.length;
                w1[at] += 0.5f;
                first.seg().setAtIndex(JAVA_FLOAT, first.off() + at, w1[at]);
            }
        }
    }

    /**
     * On two threads a kept packing is used while the bands compare the weights, a slice each, past the first few the
     * caller compares: a change anywhere, in the first slice, the last or between, must be seen, and the layer packed
     * and computed again.
     */
    @ParameterizedTest(name = "weight {0} changed")
    @ValueSource(ints = {0, 63, 64, 65, 1000, 4607, 9215})
    void aChangeAnywhereInTheWeightsIsSeenOnTwoThreads(int at) {
        int C = 32, H = 7, W = 7, F = 32, K = 3, n = 1;
        SplittableRandom random = new SplittableRandom(at);
        float[] x = uniform(random, C * H * W, -1, 1);
        float[] w = uniform(random, F * C * K * K, -1, 1);
        Workers pool = Workers.shared();
        int before = pool.threads();
        pool.setThreads(2);
        try (Arena arena = Arena.ofShared()) {
            Buf in = place(arena, x), weight = place(arena, w);
            Buf out = empty(arena, (long) F * H * W);
            assertForward(in, weight, w, out, C, H, W, F, K, n, "first call: packs");
            assertForward(in, weight, w, out, C, H, W, F, K, n, "unchanged: the kept packing");
            w[at] = -w[at] + 0.25f;
            weight.seg().setAtIndex(JAVA_FLOAT, weight.off() + at, w[at]);
            assertForward(in, weight, w, out, C, H, W, F, K, n, "weight " + at + " changed");
            assertForward(in, weight, w, out, C, H, W, F, K, n, "unchanged again");
        } finally {
            pool.setThreads(before);
        }
    }

    private static void assertForward(Buf in, Buf weight, float[] w, Buf out, int C, int H, int W, int F, int K,
                                      int n, String what) {
        float[] x = toNchw(in.read(n * C * H * W), n, C, H * W);
        double[] expected = new double[n * F * H * W], magnitude = new double[expected.length];
        Conv2dTest.reference(x, w, null, n, C, H, W, F, K, 1, 1, expected, magnitude);
        DirectSmallBatch.forward(GEMM, in.seg(), in.off(), C, H, W, n, weight.seg(), weight.off(), F, K, 1, 1,
                out.seg(), out.off());
        assertClose(expected, magnitude, toNchw(out.read(n * F * H * W), n, F, H * W), 1e-5, what);
    }

    /**
     * A tap table made for a larger batch serves every smaller one: the results are right whichever batch comes first,
     * and batches of every size in turn, on more layer geometries × batch sizes than the tables kept, make no new table
     * once the largest has come (a model trained on batches of many sizes allocates nothing).
     */
    @Test
    void aLargerBatchsTableServesTheSmallerOnes() {
        int C = 8, F = 16, K = 3, stride = 2, pad = 1;
        int[] sizes = {9, 10, 11, 12};
        SplittableRandom random = new SplittableRandom(13);
        float[] w = uniform(random, F * C * K * K, -1, 1);
        for (int n : new int[] {MAX_N, 2, 1, 4, 3}) {
            int H = sizes[n % sizes.length], W = H;
            float[] x = uniform(random, n * C * H * W, -1, 1);
            int OH = Conv2d.outputSize(H, K, stride, pad), OW = Conv2d.outputSize(W, K, stride, pad);
            double[] expected = new double[n * F * OH * OW], magnitude = new double[expected.length];
            Conv2dTest.reference(x, w, null, n, C, H, W, F, K, stride, pad, expected, magnitude);
            assertClose(expected, magnitude, run(C, H, W, F, K, stride, pad, n, x, w, 1), 1e-5, "batch " + n);
        }
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofShared()) {
            Buf in = place(arena, uniform(random, MAX_N * C * 12 * 12, -1, 1));
            Buf weight = place(arena, w);
            Buf out = empty(arena, (long) MAX_N * F * 6 * 6);
            long bytes = -1;
            for (int round = 0; round < 20 && bytes != 0; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 20; i++) { // long enough for the JIT to compile the kernel
                    for (int n = 1; n <= MAX_N; n++) {
                        for (int H : sizes) {
                            DirectSmallBatch.forward(GEMM, in.seg(), in.off(), C, H, H, n, weight.seg(), weight.off(),
                                    F, K, stride, pad, out.seg(), out.off());
                        }
                    }
                }
                bytes = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, bytes, "bytes allocated by 400 calls over twenty geometry and batch pairs after warm-up");
        }
    }

    @Test
    void allocatesNothingOnceWarm() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int C = 32, H = 14, W = 14, F = 32, K = 3;
        SplittableRandom random = new SplittableRandom(9);
        try (Arena arena = Arena.ofShared()) {
            Buf in = place(arena, uniform(random, C * H * W, -1, 1));
            Buf weight = place(arena, uniform(random, F * C * K * K, -1, 1));
            Buf strided = place(arena, uniform(random, 2 * F * F * K * K, -1, 1));
            Buf out = empty(arena, (long) 2 * F * H * W);
            long bytes = -1;
            for (int round = 0; round < 20 && bytes != 0; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 200; i++) {
                    // Two geometries in turn, each with its own weights.
                    DirectSmallBatch.forward(GEMM, in.seg(), in.off(), C, H, W, 1, weight.seg(), weight.off(), F, K,
                            1, 1, out.seg(), out.off());
                    DirectSmallBatch.forward(GEMM, in.seg(), in.off(), C, H, W, 1, strided.seg(), strided.off(),
                            2 * F, K, 2, 1, out.seg(), out.off());
                }
                bytes = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, bytes, "bytes allocated by 400 calls after warm-up");
        }
    }
}
