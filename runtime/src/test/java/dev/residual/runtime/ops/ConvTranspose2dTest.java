package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.toChannelMajor;
import static dev.residual.runtime.ops.Fixtures.toNchw;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static dev.residual.runtime.ops.GradCheck.assertGradient;
import static dev.residual.runtime.ops.GradCheck.doubles;
import static dev.residual.runtime.ops.GradCheck.dot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Transposed convolution against a double NCHW scatter loop (forward) and finite differences of it (backward), over
 * the lowering's paths: stride 1 (the rotated-kernel convolution), strided (col2im), 1×1 stride 1 (plain GEMMs),
 * stride larger than the kernel (pixels no patch reaches) and cropping padding.
 */
class ConvTranspose2dTest {

    private static final Gemm GEMM = Backends.defaultGemm();

    private static final String SHAPES = """
            3, 4, 5, 2, 2, 2, 0, 2
            2, 5, 4, 3, 3, 1, 1, 3
            3, 3, 3, 4, 1, 1, 0, 2
            2, 3, 4, 3, 2, 3, 0, 1
            2, 4, 4, 3, 3, 2, 1, 3
            """;

    @ParameterizedTest(name = "C{0} {1}×{2} F{3} K{4} stride {5} pad {6} n{7}")
    @CsvSource(textBlock = SHAPES)
    void forwardAndGradientsMatchTheReference(int C, int H, int W, int F, int K, int stride, int pad, int n) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(31L * C + 7L * K + 3L * stride + n);
        int Ho = ConvTranspose2d.outputSize(H, K, stride, pad), Wo = ConvTranspose2d.outputSize(W, K, stride, pad);
        int inCount = n * C * H * W, outCount = n * F * Ho * Wo, wCount = C * F * K * K;
        float[] x = uniform(random, inCount, -1, 1), w = uniform(random, wCount, -1, 1), b = uniform(random, F, -1, 1);
        float[] lossWeights = uniform(random, outCount, -1, 1);
        float[] previous = uniform(random, inCount, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, toChannelMajor(x, n, C, H * W), (long) MAX_N * C * H * W);
            Buf weight = place(arena, w), bias = place(arena, b);
            Buf out = empty(arena, (long) MAX_N * F * Ho * Wo);
            Buf col = empty(arena, Math.max(1, ConvTranspose2d.scratchSize(C, H, W, F, K, stride, pad, MAX_N)));
            ConvTranspose2d.forward(GEMM, in.seg(), in.off(), C, H, W, n, weight.seg(), weight.off(), F, K, stride,
                    pad, bias.seg(), bias.off(), out.seg(), out.off(), col.seg(), col.off());
            double[] xd = doubles(x), wd = doubles(w), bd = doubles(b), lw = doubles(lossWeights);
            double[] expected = reference(xd, wd, bd, n, C, H, W, F, K, stride, pad);
            Fixtures.assertClose(expected, Fixtures.abs(expected), toNchw(out.read(outCount), n, F, Ho * Wo), 1e-5,
                    "forward");
            out.assertUntouchedBeyond(outCount, "forward");

            Buf dOut = place(arena, toChannelMajor(lossWeights, n, F, Ho * Wo), (long) MAX_N * F * Ho * Wo);
            Buf dWeight = empty(arena, wCount), dBias = empty(arena, F);
            Buf dIn = place(arena, toChannelMajor(previous, n, C, H * W), (long) MAX_N * C * H * W);
            ConvTranspose2d.backward(GEMM, in.seg(), in.off(), C, H, W, n, weight.seg(), weight.off(), F, K, stride,
                    pad, dOut.seg(), dOut.off(), dWeight.seg(), dWeight.off(), dBias.seg(), dBias.off(), dIn.seg(),
                    dIn.off(), true, col.seg(), col.off());
            GradCheck.Loss loss = () -> dot(lw, reference(xd, wd, bd, n, C, H, W, F, K, stride, pad));
            double[] dx = GradCheck.numeric(xd, loss);
            float[] accumulated = toNchw(dIn.read(inCount), n, C, H * W);
            for (int i = 0; i < inCount; i++) {
                accumulated[i] -= previous[i]; // accumulate = true added onto what was there
            }
            assertGradient(dx, accumulated, 1e-4, "input gradient");
            assertGradient(GradCheck.numeric(wd, loss), dWeight.read(wCount), 1e-4, "weight gradient");
            assertGradient(GradCheck.numeric(bd, loss), dBias.read(F), 1e-4, "bias gradient");
            dIn.assertUntouchedBeyond(inCount, "input gradient");
        }
    }

    @Test
    void outputSizeIsPyTorchs() {
        assertEquals(32, ConvTranspose2d.outputSize(16, 2, 2, 0));
        assertEquals(16, ConvTranspose2d.outputSize(16, 3, 1, 1));
        assertEquals(31, ConvTranspose2d.outputSize(16, 3, 2, 1));
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> ConvTranspose2d.outputSize(1, 1, 1, 1));
        assertEquals("a transposed 1×1 window with stride 1 and padding 1 leaves no pixels of 1", empty.getMessage());
    }

    /**
     * {@code nn.ConvTranspose2d} written as its definition: input pixel {@code (y, x)} of channel {@code c} adds
     * {@code x·w[c, f, ky, kx]} at output {@code (y·stride − pad + ky, x·stride − pad + kx)} when that is inside.
     */
    private static double[] reference(double[] x, double[] w, double[] b, int n, int C, int H, int W, int F, int K,
                                      int stride, int pad) {
        int Ho = (H - 1) * stride - 2 * pad + K, Wo = (W - 1) * stride - 2 * pad + K;
        double[] out = new double[n * F * Ho * Wo];
        for (int s = 0; s < n; s++) {
            for (int f = 0; f < F; f++) {
                for (int p = 0; p < Ho * Wo; p++) {
                    out[(s * F + f) * Ho * Wo + p] = b[f];
                }
            }
            for (int c = 0; c < C; c++) {
                for (int y = 0; y < H; y++) {
                    for (int xx = 0; xx < W; xx++) {
                        double v = x[((s * C + c) * H + y) * W + xx];
                        for (int f = 0; f < F; f++) {
                            for (int ky = 0; ky < K; ky++) {
                                int oy = y * stride - pad + ky;
                                for (int kx = 0; kx < K; kx++) {
                                    int ox = xx * stride - pad + kx;
                                    if (oy >= 0 && oy < Ho && ox >= 0 && ox < Wo) {
                                        out[((s * F + f) * Ho + oy) * Wo + ox] += v * w[((c * F + f) * K + ky) * K + kx];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out;
    }
}
