package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.toChannelMajor;
import static dev.residual.runtime.ops.Fixtures.toNchw;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static dev.residual.runtime.ops.GradCheck.assertAccumulated;
import static dev.residual.runtime.ops.GradCheck.assertGradient;
import static dev.residual.runtime.ops.GradCheck.dot;
import static dev.residual.runtime.ops.GradCheck.doubles;
import static dev.residual.runtime.ops.GradCheck.numeric;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Convolution backward and col2im against finite differences of a double NCHW convolution. */
class Conv2dBackwardTest {

    private static final Gemm GEMM = Backends.defaultGemm();

    static Stream<Arguments> shapes() {
        int[][] shapes = {
            // C, H, W, F, K, stride, pad
            {3, 7, 7, 4, 3, 1, 1},
            {3, 9, 9, 4, 3, 2, 1},
            {3, 9, 7, 4, 1, 1, 0},  // 1×1, stride 1: GEMMs straight on the input and into dIn
            {3, 9, 9, 4, 1, 2, 0},  // 1×1, stride 2: half the pixels get no gradient
            {3, 7, 9, 2, 1, 1, 1},  // 1×1 with padding
            {2, 7, 9, 3, 3, 2, 0},
            {2, 7, 7, 3, 5, 2, 2},
            {2, 9, 9, 3, 2, 3, 0},  // stride > K: gaps between windows
        };
        Stream.Builder<Arguments> cases = Stream.builder();
        for (int[] s : shapes) {
            for (int n : new int[] {1, 3}) {
                cases.add(Arguments.of(s[0], s[1], s[2], s[3], s[4], s[5], s[6], n, n == 3));
            }
        }
        return cases.build();
    }

    @ParameterizedTest(name = "C{0} {1}×{2} F{3} K{4} stride {5} pad {6} n{7} bias {8}")
    @MethodSource("shapes")
    void gradientsMatchFiniteDifferences(int C, int H, int W, int F, int K, int stride, int pad, int n,
                                         boolean withBias) {
        SplittableRandom random = new SplittableRandom(37L * C + 11L * H + 5L * K + 3L * stride + pad + 101L * n);
        int Ho = Conv2d.outputSize(H, K, stride, pad), Wo = Conv2d.outputSize(W, K, stride, pad);
        int inCount = n * C * H * W, outCount = n * F * Ho * Wo, wCount = F * C * K * K;
        float[] x = uniform(random, inCount, -1, 1);       // NCHW
        float[] w = uniform(random, wCount, -1, 1);        // OIHW
        float[] b = uniform(random, F, -1, 1);
        float[] lossWeights = uniform(random, outCount, -1, 1); // NCHW, the gradient of the output
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, toChannelMajor(x, n, C, H * W), (long) MAX_N * C * H * W);
            Buf weight = place(arena, w);
            Buf dOut = place(arena, toChannelMajor(lossWeights, n, F, Ho * Wo), (long) MAX_N * F * Ho * Wo);
            Buf dWeight = empty(arena, wCount), dBias = withBias ? empty(arena, F) : null;
            Buf dIn = empty(arena, (long) MAX_N * C * H * W);
            Buf col = Conv2d.needsCol(K, stride, pad)
                    ? empty(arena, Conv2d.colSize(C, H, W, K, stride, pad, MAX_N)) : null;

            backward(C, H, W, n, F, K, stride, pad, in, weight, dOut, dWeight, dBias, dIn, false, col);

            double[] xd = doubles(x), wd = doubles(w), bd = withBias ? doubles(b) : new double[F];
            double[] lw = doubles(lossWeights);
            GradCheck.Loss loss = () -> dot(lw, reference(xd, wd, bd, n, C, H, W, F, K, stride, pad));
            float[] inputGradient = dIn.read(inCount);
            assertGradient(numeric(xd, loss), toNchw(inputGradient, n, C, H * W), 1e-4, "dIn");
            assertGradient(numeric(wd, loss), dWeight.read(wCount), 1e-4, "dWeight");
            if (withBias) {
                assertGradient(numeric(bd, loss), dBias.read(F), 1e-4, "dBias");
                dBias.assertUntouchedBeyond(F, "dBias");
            }
            dIn.assertUntouchedBeyond(inCount, "dIn");
            dWeight.assertUntouchedBeyond(wCount, "dWeight");
            if (col != null) {
                col.assertUntouchedBeyond(Conv2d.colSize(C, H, W, K, stride, pad, n), "col scratch");
            }
            // The read-only arguments are left alone.
            assertArrayEquals(toChannelMajor(x, n, C, H * W), in.read(inCount), "in");
            assertArrayEquals(w, weight.read(wCount), "weight");
            assertArrayEquals(toChannelMajor(lossWeights, n, F, Ho * Wo), dOut.read(outCount), "dOut");

            // accumulate = true adds the same gradient onto what dIn holds.
            float[] prior = uniform(random, inCount, -2, 2);
            Buf sum = place(arena, prior, (long) MAX_N * C * H * W);
            backward(C, H, W, n, F, K, stride, pad, in, weight, dOut, null, null, sum, true, col);
            assertAccumulated(prior, inputGradient, sum.read(inCount), 1e-5, "accumulated dIn");
            sum.assertUntouchedBeyond(inCount, "accumulated dIn");
        }
    }

    /** Each gradient passed as null is skipped, and the others come out bit for bit the same. */
    @ParameterizedTest(name = "C{0} {1}×{2} F{3} K{4} stride {5} pad {6}")
    @CsvSource({"3,7,7,4,3,2,1", "3,9,7,4,1,1,0"})
    void nullGradientsAreSkipped(int C, int H, int W, int F, int K, int stride, int pad) {
        int n = 3;
        SplittableRandom random = new SplittableRandom(5);
        int Ho = Conv2d.outputSize(H, K, stride, pad), Wo = Conv2d.outputSize(W, K, stride, pad);
        int inCount = n * C * H * W, wCount = F * C * K * K;
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, uniform(random, inCount, -1, 1));
            Buf weight = place(arena, uniform(random, wCount, -1, 1));
            Buf dOut = place(arena, uniform(random, n * F * Ho * Wo, -1, 1));
            Buf col = Conv2d.needsCol(K, stride, pad) ? empty(arena, Conv2d.colSize(C, H, W, K, stride, pad, n)) : null;
            Buf dWeight = empty(arena, wCount), dBias = empty(arena, F), dIn = empty(arena, inCount);
            backward(C, H, W, n, F, K, stride, pad, in, weight, dOut, dWeight, dBias, dIn, false, col);

            Buf dWeight2 = empty(arena, wCount), dBias2 = empty(arena, F);
            backward(C, H, W, n, F, K, stride, pad, in, weight, dOut, dWeight2, dBias2, null, false, col);
            assertArrayEquals(dWeight.read(wCount), dWeight2.read(wCount), "dWeight without dIn");
            assertArrayEquals(dBias.read(F), dBias2.read(F), "dBias without dIn");

            Buf dIn2 = empty(arena, inCount);
            backward(C, H, W, n, F, K, stride, pad, in, weight, dOut, null, null, dIn2, false, col);
            assertArrayEquals(dIn.read(inCount), dIn2.read(inCount), "dIn without parameter gradients");
        }
    }

    /** col2im is the adjoint of im2col: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩; with accumulate it adds. */
    @ParameterizedTest(name = "C{0} {1}×{2} K{3} stride {4} pad {5} n{6}")
    @CsvSource({"3,7,7,3,1,1,3", "2,9,7,3,2,1,1", "2,7,9,5,2,2,3", "1,9,9,2,3,0,3", "3,5,5,1,2,1,2"})
    void col2imIsTheAdjointOfIm2col(int C, int H, int W, int K, int stride, int pad, int n) {
        SplittableRandom random = new SplittableRandom(H * 7L + K + n);
        int inCount = n * C * H * W;
        int colCount = (int) Conv2d.colSize(C, H, W, K, stride, pad, n);
        float[] x = uniform(random, inCount, -1, 1), c = uniform(random, colCount, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, x, (long) MAX_N * C * H * W);
            Buf col = empty(arena, Conv2d.colSize(C, H, W, K, stride, pad, MAX_N));
            Conv2d.im2col(in.seg(), in.off(), C, H, W, n, K, stride, pad, col.seg(), col.off());
            double left = dot(doubles(col.read(colCount)), doubles(c));

            Buf cols = place(arena, c, Conv2d.colSize(C, H, W, K, stride, pad, MAX_N));
            Buf out = empty(arena, (long) MAX_N * C * H * W);
            Conv2d.col2im(cols.seg(), cols.off(), C, H, W, n, K, stride, pad, out.seg(), out.off(), false);
            float[] scattered = out.read(inCount);
            double right = dot(doubles(x), doubles(scattered));
            assertEquals(left, right, 1e-5 * Math.sqrt(colCount), "⟨im2col(x), c⟩ vs ⟨x, col2im(c)⟩");
            out.assertUntouchedBeyond(inCount, "col2im output");

            float[] prior = uniform(random, inCount, -1, 1);
            Buf sum = place(arena, prior);
            Conv2d.col2im(cols.seg(), cols.off(), C, H, W, n, K, stride, pad, sum.seg(), sum.off(), true);
            assertAccumulated(prior, scattered, sum.read(inCount), 1e-6, "col2im accumulate");
        }
    }

    private static void backward(int C, int H, int W, int n, int F, int K, int stride, int pad, Buf in, Buf weight,
                                 Buf dOut, Buf dWeight, Buf dBias, Buf dIn, boolean accumulate, Buf col) {
        Conv2d.backward(GEMM, in.seg(), in.off(), C, H, W, n, weight.seg(), weight.off(), F, K, stride, pad,
                dOut.seg(), dOut.off(), seg(dWeight), off(dWeight), seg(dBias), off(dBias), seg(dIn), off(dIn),
                accumulate, seg(col), off(col));
    }

    static MemorySegment seg(Buf buf) {
        return buf == null ? null : buf.seg();
    }

    static long off(Buf buf) {
        return buf == null ? 0 : buf.off();
    }

    /** out[s,f,oy,ox] = b[f] + Σ w[f,c,ky,kx]·x[s,c,oy·stride−pad+ky, ox·stride−pad+kx], NCHW, in double. */
    static double[] reference(double[] x, double[] w, double[] b, int n, int C, int H, int W, int F, int K,
                              int stride, int pad) {
        int Ho = Conv2d.outputSize(H, K, stride, pad), Wo = Conv2d.outputSize(W, K, stride, pad);
        double[] out = new double[n * F * Ho * Wo];
        for (int s = 0; s < n; s++) {
            for (int f = 0; f < F; f++) {
                for (int oy = 0; oy < Ho; oy++) {
                    for (int ox = 0; ox < Wo; ox++) {
                        double sum = b[f];
                        for (int c = 0; c < C; c++) {
                            for (int ky = 0; ky < K; ky++) {
                                int iy = oy * stride - pad + ky;
                                if (iy < 0 || iy >= H) {
                                    continue;
                                }
                                for (int kx = 0; kx < K; kx++) {
                                    int ix = ox * stride - pad + kx;
                                    if (ix >= 0 && ix < W) {
                                        sum += w[((f * C + c) * K + ky) * K + kx] * x[((s * C + c) * H + iy) * W + ix];
                                    }
                                }
                            }
                        }
                        out[((s * F + f) * Ho + oy) * Wo + ox] = sum;
                    }
                }
            }
        }
        return out;
    }
}
