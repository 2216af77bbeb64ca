package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.assertClose;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.toChannelMajor;
import static dev.residual.runtime.ops.Fixtures.toNchw;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

/** Convolution against a direct NCHW double-precision loop. */
class Conv2dTest {

    private static final Gemm GEMM = Backends.defaultGemm();

    static Stream<Arguments> shapes() {
        int[][] shapes = {
            // C, H, W, F, K, stride, pad
            {3, 9, 9, 4, 3, 1, 1},
            {3, 7, 7, 5, 5, 2, 2},
            {3, 9, 7, 4, 1, 1, 0},  // 1×1, stride 1: GEMM straight on the input
            {3, 9, 9, 4, 1, 2, 0},  // 1×1, stride 2: a gather
            {3, 9, 7, 2, 1, 1, 1},  // 1×1 with padding: a zero border
            {2, 7, 9, 3, 3, 2, 0},
            {3, 9, 9, 2, 5, 1, 0},
            {3, 7, 7, 4, 3, 2, 1},
            {1, 5, 5, 2, 3, 3, 2},
            {2, 4, 4, 2, 5, 1, 2},
            {2, 2, 3, 3, 5, 2, 2},  // the kernel is larger than the image
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
    void matchesDirectConvolution(int C, int H, int W, int F, int K, int stride, int pad, int n, boolean withBias) {
        SplittableRandom random = new SplittableRandom(31L * C + 7L * H + 5L * K + 3L * stride + pad + 101L * n);
        int Ho = Conv2d.outputSize(H, K, stride, pad), Wo = Conv2d.outputSize(W, K, stride, pad);
        float[] x = uniform(random, n * C * H * W, -1, 1); // NCHW
        float[] w = uniform(random, F * C * K * K, -1, 1); // OIHW
        float[] b = uniform(random, F, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, toChannelMajor(x, n, C, H * W), (long) MAX_N * C * H * W);
            Buf weight = place(arena, w);
            Buf bias = withBias ? place(arena, b) : null;
            Buf out = empty(arena, (long) MAX_N * F * Ho * Wo);
            long colSize = Conv2d.colSize(C, H, W, K, stride, pad, MAX_N);
            Buf col = Conv2d.needsCol(K, stride, pad) ? empty(arena, colSize) : null;

            Conv2d.forward(GEMM, in.seg(), in.off(), C, H, W, n, weight.seg(), weight.off(), F, K, stride, pad,
                    bias == null ? null : bias.seg(), bias == null ? 0 : bias.off(), out.seg(), out.off(),
                    col == null ? null : col.seg(), col == null ? 0 : col.off());

            int outCount = n * F * Ho * Wo;
            double[] expected = new double[outCount], magnitude = new double[outCount];
            reference(x, w, withBias ? b : null, n, C, H, W, F, K, stride, pad, expected, magnitude);
            assertClose(expected, magnitude, toNchw(out.read(outCount), n, F, Ho * Wo), 1e-5, "conv output");
            out.assertUntouchedBeyond(outCount, "conv output");
            if (col != null) {
                col.assertUntouchedBeyond(Conv2d.colSize(C, H, W, K, stride, pad, n), "col scratch");
            }
        }
    }

    /** The definition: out[s,f,oy,ox] = bias[f] + Σ w[f,c,ky,kx]·x[s,c,oy·stride−pad+ky, ox·stride−pad+kx]. */
    static void reference(float[] x, float[] w, float[] b, int n, int C, int H, int W, int F, int K,
                          int stride, int pad, double[] out, double[] magnitude) {
        int Ho = Conv2d.outputSize(H, K, stride, pad), Wo = Conv2d.outputSize(W, K, stride, pad);
        for (int s = 0; s < n; s++) {
            for (int f = 0; f < F; f++) {
                for (int oy = 0; oy < Ho; oy++) {
                    for (int ox = 0; ox < Wo; ox++) {
                        double sum = b == null ? 0 : b[f], size = Math.abs(sum);
                        for (int c = 0; c < C; c++) {
                            for (int ky = 0; ky < K; ky++) {
                                for (int kx = 0; kx < K; kx++) {
                                    int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
                                        continue;
                                    }
                                    double term = (double) w[((f * C + c) * K + ky) * K + kx]
                                            * x[((s * C + c) * H + iy) * W + ix];
                                    sum += term;
                                    size += Math.abs(term);
                                }
                            }
                        }
                        int index = ((s * F + f) * Ho + oy) * Wo + ox;
                        out[index] = sum;
                        magnitude[index] = size;
                    }
                }
            }
        }
    }

    @Test
    void sizesForThePlanner() {
        assertEquals(4, Conv2d.outputSize(7, 3, 2, 1));
        assertEquals(2, Conv2d.outputSize(7, 5, 2, 0));
        assertEquals(3, Conv2d.outputSize(7, 5, 2, 1));
        assertEquals(5, Conv2d.outputSize(9, 1, 2, 0));
        assertFalse(Conv2d.needsCol(1, 1, 0));
        assertTrue(Conv2d.needsCol(1, 2, 0));
        assertTrue(Conv2d.needsCol(1, 1, 1));
        assertEquals(0, Conv2d.colSize(16, 8, 8, 1, 1, 0, 128));
        assertEquals(16L * 9 * 128 * 28 * 28, Conv2d.colSize(16, 28, 28, 3, 1, 1, 128));
        assertEquals(3L * 64 * 7 * 7, Conv2d.colSize(3, 14, 14, 1, 2, 0, 64));
        assertThrows(IllegalArgumentException.class, () -> Conv2d.outputSize(2, 5, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Conv2d.outputSize(9, 3, 0, 1));
    }
}
