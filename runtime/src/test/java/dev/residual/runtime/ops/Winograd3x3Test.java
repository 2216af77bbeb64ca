package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.assertClose;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.toChannelMajor;
import static dev.residual.runtime.ops.Fixtures.toNchw;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Winograd3x3}'s forward and input gradient against the definition of a 3×3, stride-1, padding-1 convolution
 * in double precision: even and odd sizes (an overhanging last tile), images smaller than a tile, more or fewer
 * output than input channels, one and several chunks, overwriting and accumulating, and nothing written beyond the
 * outputs or the scratch {@link Winograd3x3#scratchSize} gives.
 */
class Winograd3x3Test {

    private static final Gemm GEMM = Backends.defaultGemm();

    static Stream<Arguments> cases() {
        int[][] shapes = {
            // C, H, W, F
            {3, 8, 6, 4},
            {2, 7, 9, 3},  // odd both ways
            {4, 5, 4, 9},  // F ≫ C
            {5, 1, 1, 2},  // one pixel: one tile, mostly padding
            {1, 2, 3, 1},
            {6, 7, 7, 6},  // ResNet's 7×7 stage in small
        };
        Stream.Builder<Arguments> cases = Stream.builder();
        for (int[] s : shapes) {
            for (int n : new int[] {1, 2, 3}) {
                for (int chunk : new int[] {1, 2, n}) { // one image a chunk; two (a remainder at n = 3); one chunk
                    cases.add(Arguments.of(s[0], s[1], s[2], s[3], n, chunk));
                }
            }
        }
        return cases.build();
    }

    @ParameterizedTest(name = "C{0} {1}×{2} F{3} n{4} chunk {5}")
    @MethodSource("cases")
    void matchesTheDefinition(int C, int H, int W, int F, int n, int chunk) {
        check(C, H, W, F, n, chunk, new SplittableRandom(C * 131L + H * 17L + W * 5L + n));
    }

    /** ResNet-20's first stage with the default chunks, which cut 20 images into several. */
    @Test
    void resNetSizedLayer() {
        check(16, 28, 28, 16, 20, Winograd3x3.chunkImages(16, 16, 196, 20), new SplittableRandom(7));
    }

    /**
     * The public entries against {@link Conv2d}'s im2col path, below {@link Winograd3x3#MIN_TILES} (where they hand
     * the call to it) and above (where they transform).
     */
    @Test
    void publicEntriesAgreeWithIm2col() {
        for (int n : new int[] {1, 13}) { // 16 and 208 tiles of 7×7
            int C = 4, H = 7, W = 7, F = 5, hw = H * W;
            SplittableRandom random = new SplittableRandom(n);
            try (Arena arena = Arena.ofConfined()) {
                Buf in = place(arena, uniform(random, n * C * hw, -1, 1));
                Buf weight = place(arena, uniform(random, F * C * 9, -1, 1));
                Buf dOut = place(arena, uniform(random, n * F * hw, -1, 1));
                Buf scratch = empty(arena, Winograd3x3.scratchSize(C, H, W, F, n));
                Buf mine = empty(arena, (long) n * F * hw), theirs = empty(arena, (long) n * F * hw);
                Winograd3x3.forward(GEMM, in.seg(), in.off(), C, H, W, n, weight.seg(), weight.off(), F, mine.seg(),
                        mine.off(), scratch.seg(), scratch.off());
                Conv2d.forward(GEMM, in.seg(), in.off(), C, H, W, n, weight.seg(), weight.off(), F, 3, 1, 1, null, 0,
                        theirs.seg(), theirs.off(), scratch.seg(), scratch.off());
                assertAgree(theirs.read(n * F * hw), mine.read(n * F * hw), "forward n " + n);
                Buf dMine = empty(arena, (long) n * C * hw), dTheirs = empty(arena, (long) n * C * hw);
                Winograd3x3.backwardData(GEMM, dOut.seg(), dOut.off(), C, H, W, n, weight.seg(), weight.off(), F,
                        dMine.seg(), dMine.off(), false, scratch.seg(), scratch.off());
                Conv2d.backward(GEMM, in.seg(), in.off(), C, H, W, n, weight.seg(), weight.off(), F, 3, 1, 1,
                        dOut.seg(), dOut.off(), null, 0, null, 0, dTheirs.seg(), dTheirs.off(), false, scratch.seg(),
                        scratch.off());
                assertAgree(dTheirs.read(n * C * hw), dMine.read(n * C * hw), "input gradient n " + n);
            }
        }
    }

    /** Every element within 1e-5 of the largest. */
    private static void assertAgree(float[] expected, float[] actual, String what) {
        double scale = 0;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= 1e-5 * scale, what + ": element " + i);
        }
    }

    @Test
    void appliesOnlyTo3x3Stride1Padding1() {
        assertTrue(Winograd3x3.applies(3, 1, 1));
        assertFalse(Winograd3x3.applies(3, 2, 1));
        assertFalse(Winograd3x3.applies(3, 1, 0));
        assertFalse(Winograd3x3.applies(1, 1, 0));
        assertFalse(Winograd3x3.applies(5, 1, 1));
    }

    @Test
    void scratchGrowsWithTheBatchAndStaysNearTheChunk() {
        long previous = 0;
        for (int n = 1; n <= 130; n++) {
            long size = Winograd3x3.scratchSize(16, 28, 28, 16, n);
            assertTrue(size >= previous, "scratch shrank at n " + n);
            previous = size;
        }
        // no more than im2col's chunk, which it also covers
        assertTrue(previous <= Conv2d.CHUNK_FLOATS + 16 * 16 * 16, "scratch " + previous);
    }

    private static void check(int C, int H, int W, int F, int n, int chunk, SplittableRandom random) {
        int hw = H * W, inCount = n * C * hw, outCount = n * F * hw;
        float[] x = uniform(random, inCount, -1, 1);   // NCHW
        float[] w = uniform(random, F * C * 9, -1, 1); // OIHW
        float[] g = uniform(random, outCount, -1, 1);  // NCHW, the output's gradient
        double[] out = new double[outCount], outSize = new double[outCount];
        double[] dIn = new double[inCount], dInSize = new double[inCount];
        for (int s = 0; s < n; s++) {
            for (int f = 0; f < F; f++) {
                for (int y = 0; y < H; y++) {
                    for (int xx = 0; xx < W; xx++) {
                        int o = ((s * F + f) * H + y) * W + xx;
                        for (int c = 0; c < C; c++) {
                            for (int k = 0; k < 9; k++) {
                                int iy = y - 1 + k / 3, ix = xx - 1 + k % 3;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
                                    continue;
                                }
                                int i = ((s * C + c) * H + iy) * W + ix;
                                double wk = w[(f * C + c) * 9 + k];
                                out[o] += wk * x[i];
                                outSize[o] += Math.abs(wk * x[i]);
                                dIn[i] += wk * g[o];
                                dInSize[i] += Math.abs(wk * g[o]);
                            }
                        }
                    }
                }
            }
        }
        int planned = Math.max(n, MAX_N);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, toChannelMajor(x, n, C, hw), (long) planned * C * hw);
            Buf weight = place(arena, w);
            Buf dOut = place(arena, toChannelMajor(g, n, F, hw), (long) planned * F * hw);
            long scratchFloats = Winograd3x3.scratchSize(C, H, W, F, n, chunk);
            Buf scratch = empty(arena, scratchFloats);

            Buf y = empty(arena, (long) planned * F * hw);
            Winograd3x3.convolve(GEMM, in.seg(), in.off(), C, H, W, n, weight.seg(), weight.off(), false, F,
                    y.seg(), y.off(), false, scratch.seg(), scratch.off(), chunk);
            assertClose(out, outSize, toNchw(y.read(outCount), n, F, hw), 1e-5, "out");
            y.assertUntouchedBeyond(outCount, "out");

            // Overwrite: garbage in dIn must not leak through.
            Buf d = place(arena, uniform(random, inCount, -9, 9), (long) planned * C * hw);
            Winograd3x3.convolve(GEMM, dOut.seg(), dOut.off(), F, H, W, n, weight.seg(), weight.off(), true, C,
                    d.seg(), d.off(), false, scratch.seg(), scratch.off(), chunk);
            assertClose(dIn, dInSize, toNchw(d.read(inCount), n, C, hw), 1e-5, "dIn");
            d.assertUntouchedBeyond(inCount, "dIn");

            float[] prior = uniform(random, inCount, -2, 2); // NCHW
            Buf sum = place(arena, toChannelMajor(prior, n, C, hw), (long) planned * C * hw);
            Winograd3x3.convolve(GEMM, dOut.seg(), dOut.off(), F, H, W, n, weight.seg(), weight.off(), true, C,
                    sum.seg(), sum.off(), true, scratch.seg(), scratch.off(), chunk);
            double[] expected = new double[inCount], size = new double[inCount];
            for (int i = 0; i < inCount; i++) {
                expected[i] = prior[i] + dIn[i];
                size[i] = Math.abs(prior[i]) + dInSize[i];
            }
            assertClose(expected, size, toNchw(sum.read(inCount), n, C, hw), 1e-5, "accumulated dIn");
            sum.assertUntouchedBeyond(inCount, "accumulated dIn");
            scratch.assertUntouchedBeyond(scratchFloats, "scratch");
        }
    }
}
