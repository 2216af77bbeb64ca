package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.assertClose;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.toChannelMajor;
import static dev.residual.runtime.ops.Fixtures.toNchw;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.gemm.OpenBlasGemm;
import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ways {@link Conv2d} cuts a batch into chunks and computes each gradient (the transposed weight gradient, the
 * input gradient as a convolution of {@code dOut}, col2im for strides, and the fallbacks for batches too small for
 * them) against a direct double-precision convolution and its exact gradients, with the scratch sized by
 * {@link Conv2d#scratchSize} and nothing written beyond it.
 */
class Conv2dChunkTest {

    private static final Gemm GEMM = Backends.defaultGemm();

    /** One image per chunk. */
    private static final long TINY = 1;

    static Stream<Arguments> cases() {
        int[][] shapes = {
            // C, H, W, F, K, stride, pad
            {3, 7, 9, 4, 3, 1, 1},  // same size: shifted copies; dIn a convolution of dOut
            {2, 9, 7, 3, 5, 1, 2},  // 5×5, same size
            {3, 8, 7, 2, 3, 1, 0},  // stride 1, smaller output: gathers; dIn unrolled with padding 2
            {2, 7, 7, 3, 1, 1, 1},  // 1×1 with padding: dIn unrolled with padding −1, a crop
            {2, 5, 6, 3, 3, 1, 2},  // output larger than the input
            {4, 6, 5, 9, 3, 1, 1},  // F ≫ C: too little room for the convolved dIn at n = 1
            {3, 9, 9, 5, 3, 2, 1},  // stride 2: col2im
            {2, 8, 10, 3, 3, 2, 1}, // stride 2, even sizes: the last line and column are seen by one window
            {2, 9, 8, 4, 1, 2, 0},  // 1×1, stride 2
            {2, 7, 9, 3, 5, 2, 2},
            {2, 9, 9, 3, 2, 3, 0},  // stride > K: pixels no window sees
        };
        Stream.Builder<Arguments> cases = Stream.builder();
        for (int[] s : shapes) {
            for (int n : new int[] {1, 2, 3}) {
                long perImage = (long) s[0] * s[4] * s[4] * Conv2d.outputSize(s[1], s[4], s[5], s[6])
                        * Conv2d.outputSize(s[2], s[4], s[5], s[6]);
                // one image a chunk; two (for n = 3, a remainder of one); the default, one chunk here
                for (long chunk : new long[] {TINY, 2 * perImage, Conv2d.CHUNK_FLOATS}) {
                    cases.add(Arguments.of(s[0], s[1], s[2], s[3], s[4], s[5], s[6], n, chunk));
                }
            }
        }
        return cases.build();
    }

    @ParameterizedTest(name = "C{0} {1}×{2} F{3} K{4} stride {5} pad {6} n{7} chunk {8}")
    @MethodSource("cases")
    void matchesTheDefinition(int C, int H, int W, int F, int K, int stride, int pad, int n, long chunk) {
        new Case(C, H, W, F, K, stride, pad, n, chunk, new SplittableRandom(C * 131L + H * 17L + K * 5L + n), GEMM,
                false).check();
    }

    /**
     * On OpenBLAS with two threads and memory any thread may touch, a small stride-1 same-size layer runs as column
     * bands, each unrolled and multiplied on the thread that claims it ({@link Gemm#columnBands}); the result must be
     * the convolution all the same, and OpenBLAS must get its thread count back.
     */
    @ParameterizedTest(name = "C{0} {1}×{2} F{3} n{4}")
    @MethodSource("bandedLayers")
    void bandsOnTwoThreadsMatchTheDefinition(int C, int H, int W, int F, int n) {
        OpenBlasGemm gemm = OpenBlasGemm.load();
        gemm.setThreads(2);
        try {
            int columns = n * H * W;
            assertTrue(gemm.columnBands(F, columns, C * 9) > 1, "this layer must run as bands");
            new Case(C, H, W, F, 3, 1, 1, n, Conv2d.CHUNK_FLOATS, new SplittableRandom(C + H + n), gemm, true)
                    .check();
            assertEquals(2, gemm.threads());
        } finally {
            gemm.setThreads(Backends.threads());
        }
    }

    static Stream<Arguments> bandedLayers() {
        // C, H, W, F, n: odd sizes put band edges inside lines; n = 2 puts one across two images
        return Stream.of(Arguments.of(3, 7, 9, 4, 1), Arguments.of(2, 9, 7, 5, 2), Arguments.of(16, 28, 28, 16, 1),
                Arguments.of(32, 14, 14, 32, 2), Arguments.of(5, 3, 11, 3, 1));
    }

    /** A ResNet-sized layer with the default chunks: three chunks of 7, 7 and 6 images. */
    @Test
    void defaultChunksOfALargerLayer() {
        new Case(16, 28, 28, 16, 3, 1, 1, 20, Conv2d.CHUNK_FLOATS, new SplittableRandom(3), GEMM, false).check();
        new Case(16, 28, 28, 32, 3, 2, 1, 20, Conv2d.CHUNK_FLOATS, new SplittableRandom(4), GEMM, false).check();
    }

    @Test
    void scratchNeverExceedsTheColumnMatrixAndGrowsWithTheBatch() {
        int[][] shapes = {{3, 7, 9, 4, 3, 1, 1}, {4, 6, 5, 9, 3, 1, 1}, {2, 9, 8, 4, 1, 2, 0}, {2, 7, 7, 3, 1, 1, 1},
            {16, 28, 28, 16, 3, 1, 1}, {16, 28, 28, 32, 1, 2, 0}, {64, 7, 7, 64, 3, 1, 1}, {1, 28, 28, 16, 3, 1, 1}};
        for (int[] s : shapes) {
            for (long chunk : new long[] {TINY, 5000, Conv2d.CHUNK_FLOATS}) {
                long previous = 0;
                for (int n = 1; n <= 130; n++) {
                    long size = Conv2d.scratchSize(s[0], s[1], s[2], s[3], s[4], s[5], s[6], n, chunk);
                    long col = Conv2d.colSize(s[0], s[1], s[2], s[4], s[5], s[6], n);
                    assertTrue(size <= col, "scratch " + size + " > colSize " + col);
                    assertTrue(size >= previous, "scratch shrank from " + previous + " to " + size + " at n " + n);
                    previous = size;
                }
            }
        }
        // The 16-channel ResNet layer at batch 128: about CHUNK_FLOATS, not the 14.5 M floats of its column matrix.
        long size = Conv2d.scratchSize(16, 28, 28, 16, 3, 1, 1, 128);
        assertTrue(size <= Conv2d.CHUNK_FLOATS + 16 * 16 * 9 && size > Conv2d.CHUNK_FLOATS / 2, "scratch " + size);
    }

    /** One layer, its data, and the checks. */
    private record Case(int C, int H, int W, int F, int K, int stride, int pad, int n, long chunk,
                        SplittableRandom random, Gemm gemm, boolean shared) {

        void check() {
            int Ho = Conv2d.outputSize(H, K, stride, pad), Wo = Conv2d.outputSize(W, K, stride, pad);
            int inCount = n * C * H * W, outCount = n * F * Ho * Wo, wCount = F * C * K * K;
            float[] x = uniform(random, inCount, -1, 1);        // NCHW
            float[] w = uniform(random, wCount, -1, 1);         // OIHW
            float[] g = uniform(random, outCount, -1, 1);       // NCHW, the output's gradient
            Reference ref = new Reference(x, w, g);
            int planned = Math.max(n, MAX_N);
            try (Arena arena = shared ? Arena.ofShared() : Arena.ofConfined()) {
                Buf in = place(arena, toChannelMajor(x, n, C, H * W), (long) planned * C * H * W);
                Buf weight = place(arena, w);
                Buf dOut = place(arena, toChannelMajor(g, n, F, Ho * Wo), (long) planned * F * Ho * Wo);
                long scratch = Conv2d.scratchSize(C, H, W, F, K, stride, pad, n, chunk);
                Buf col = empty(arena, scratch);

                Buf out = empty(arena, (long) planned * F * Ho * Wo);
                Conv2d.forward(gemm, in.seg(), in.off(), C, H, W, n, weight.seg(), weight.off(), F, K, stride, pad,
                        null, 0, out.seg(), out.off(), col.seg(), col.off(), chunk);
                assertClose(ref.out, ref.outSize, toNchw(out.read(outCount), n, F, Ho * Wo), 1e-5, "out");
                out.assertUntouchedBeyond(outCount, "out");

                // Overwrite: dIn starts out holding garbage, which must not leak through.
                Buf dWeight = empty(arena, wCount), dBias = empty(arena, F);
                Buf dIn = place(arena, uniform(random, inCount, -9, 9), (long) planned * C * H * W);
                backward(in, weight, dOut, dWeight, dBias, dIn, false, col);
                assertClose(ref.dWeight, ref.dWeightSize, dWeight.read(wCount), 1e-5, "dWeight");
                assertClose(ref.dBias, ref.dBiasSize, dBias.read(F), 1e-5, "dBias");
                float[] inputGradient = dIn.read(inCount);
                assertClose(ref.dIn, ref.dInSize, toNchw(inputGradient, n, C, H * W), 1e-5, "dIn");
                dIn.assertUntouchedBeyond(inCount, "dIn");
                dWeight.assertUntouchedBeyond(wCount, "dWeight");
                col.assertUntouchedBeyond(scratch, "scratch");

                // Accumulate onto what dIn holds, without the parameter gradients.
                float[] prior = uniform(random, inCount, -2, 2); // NCHW
                Buf sum = place(arena, toChannelMajor(prior, n, C, H * W), (long) planned * C * H * W);
                backward(in, weight, dOut, null, null, sum, true, col);
                double[] expected = new double[inCount], size = new double[inCount];
                for (int i = 0; i < inCount; i++) {
                    expected[i] = prior[i] + ref.dIn[i];
                    size[i] = Math.abs(prior[i]) + ref.dInSize[i];
                }
                assertClose(expected, size, toNchw(sum.read(inCount), n, C, H * W), 1e-5, "accumulated dIn");
                sum.assertUntouchedBeyond(inCount, "accumulated dIn");

                // Without dIn, and with only dIn, the other gradients come out bit for bit the same.
                Buf dWeight2 = empty(arena, wCount);
                backward(in, weight, dOut, dWeight2, null, null, false, col);
                assertArrayEquals(dWeight.read(wCount), dWeight2.read(wCount), "dWeight without dIn");
                Buf dIn2 = empty(arena, (long) planned * C * H * W);
                backward(in, weight, dOut, null, null, dIn2, false, col);
                assertArrayEquals(inputGradient, dIn2.read(inCount), "dIn without parameter gradients");
                col.assertUntouchedBeyond(scratch, "scratch");
            }
        }

        private void backward(Buf in, Buf weight, Buf dOut, Buf dWeight, Buf dBias, Buf dIn, boolean accumulate,
                              Buf col) {
            Conv2d.backward(gemm, in.seg(), in.off(), C, H, W, n, weight.seg(), weight.off(), F, K, stride, pad,
                    dOut.seg(), dOut.off(), seg(dWeight), off(dWeight), seg(dBias), off(dBias), seg(dIn), off(dIn),
                    accumulate, col.seg(), col.off(), chunk);
        }

        /**
         * The convolution and its gradients straight from the definition, in double, NCHW, each with the sum of the
         * magnitudes of its terms (what float rounding scales with).
         */
        private final class Reference {
            final double[] out, outSize, dWeight, dWeightSize, dBias, dBiasSize, dIn, dInSize;

            Reference(float[] x, float[] w, float[] g) {
                int Ho = Conv2d.outputSize(H, K, stride, pad), Wo = Conv2d.outputSize(W, K, stride, pad);
                out = new double[n * F * Ho * Wo];
                outSize = new double[out.length];
                dWeight = new double[w.length];
                dWeightSize = new double[w.length];
                dBias = new double[F];
                dBiasSize = new double[F];
                dIn = new double[x.length];
                dInSize = new double[x.length];
                for (int s = 0; s < n; s++) {
                    for (int f = 0; f < F; f++) {
                        for (int oy = 0; oy < Ho; oy++) {
                            for (int ox = 0; ox < Wo; ox++) {
                                int o = ((s * F + f) * Ho + oy) * Wo + ox;
                                dBias[f] += g[o];
                                dBiasSize[f] += Math.abs(g[o]);
                                for (int c = 0; c < C; c++) {
                                    for (int ky = 0; ky < K; ky++) {
                                        for (int kx = 0; kx < K; kx++) {
                                            int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
                                                continue;
                                            }
                                            int k = ((f * C + c) * K + ky) * K + kx;
                                            int i = ((s * C + c) * H + iy) * W + ix;
                                            out[o] += (double) w[k] * x[i];
                                            outSize[o] += Math.abs((double) w[k] * x[i]);
                                            dWeight[k] += (double) g[o] * x[i];
                                            dWeightSize[k] += Math.abs((double) g[o] * x[i]);
                                            dIn[i] += (double) g[o] * w[k];
                                            dInSize[i] += Math.abs((double) g[o] * w[k]);
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

    private static MemorySegment seg(Buf buf) {
        return buf == null ? null : buf.seg();
    }

    private static long off(Buf buf) {
        return buf == null ? 0 : buf.off();
    }
}
