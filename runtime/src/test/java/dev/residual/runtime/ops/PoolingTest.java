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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Pooling against NCHW double loops over an explicitly padded image. */
class PoolingTest {

    private static final String SHAPES = """
            3, 9, 7, 3, 2, 1, 1
            3, 9, 7, 3, 2, 1, 3
            2, 9, 9, 2, 2, 0, 3
            3, 7, 7, 3, 1, 1, 3
            3, 9, 9, 5, 2, 2, 1
            2, 7, 9, 5, 3, 2, 3
            1, 5, 5, 1, 2, 0, 3
            """;

    @ParameterizedTest(name = "C{0} {1}×{2} K{3} stride {4} pad {5} n{6}")
    @CsvSource(textBlock = SHAPES)
    void maxPoolMatchesReference(int C, int H, int W, int K, int stride, int pad, int n) {
        float[] x = uniform(new SplittableRandom(H * 31L + K * 7L + n), n * C * H * W, -1, 1);
        float[] actual = runPool(true, x, C, H, W, K, stride, pad, n);
        double[] expected = referencePool(true, x, C, H, W, K, stride, pad, n, null);
        // A maximum is one of the inputs: exact.
        assertClose(expected, null, actual, 0, "max pool");
    }

    @ParameterizedTest(name = "C{0} {1}×{2} K{3} stride {4} pad {5} n{6}")
    @CsvSource(textBlock = SHAPES)
    void averagePoolMatchesReference(int C, int H, int W, int K, int stride, int pad, int n) {
        float[] x = uniform(new SplittableRandom(H * 31L + K * 7L + n), n * C * H * W, -1, 1);
        float[] actual = runPool(false, x, C, H, W, K, stride, pad, n);
        int Ho = Conv2d.outputSize(H, K, stride, pad), Wo = Conv2d.outputSize(W, K, stride, pad);
        double[] magnitude = new double[n * C * Ho * Wo];
        double[] expected = referencePool(false, x, C, H, W, K, stride, pad, n, magnitude);
        assertClose(expected, magnitude, actual, 1e-6, "average pool");
    }

    /** Every input negative: a pool that let a zero pad win would output 0 at the border. */
    @Test
    void maxPoolNeverPicksThePadding() {
        int C = 2, H = 7, W = 7, K = 3, stride = 2, pad = 1, n = 3;
        float[] x = uniform(new SplittableRandom(5), n * C * H * W, -10, -1);
        float[] actual = runPool(true, x, C, H, W, K, stride, pad, n);
        for (float v : actual) {
            assertTrue(v <= -1 && v >= -10, "max pool produced " + v + ", which is not an input");
        }
        assertArrayEquals(toFloats(referencePool(true, x, C, H, W, K, stride, pad, n, null)), actual);
        // A 2×2 window with padding 1 sees a single real pixel at each corner.
        float[] corners = runPool(true, x, C, H, W, 2, 2, 1, n);
        assertEquals(x[0], corners[0]);
    }

    @Test
    void rejectsPaddingOverHalfTheWindow() {
        MemorySegment any = MemorySegment.ofArray(new float[1024]);
        assertThrows(IllegalArgumentException.class, () -> Pooling.maxPool(any, 0, 1, 9, 9, 1, 3, 1, 2, any, 0));
        assertThrows(IllegalArgumentException.class, () -> Pooling.averagePool(any, 0, 1, 9, 9, 1, 2, 2, 2, any, 0));
    }

    @ParameterizedTest(name = "C{0} hw{1} n{2}")
    @CsvSource({"3,49,1", "3,49,3", "5,64,3", "2,1,3"})
    void globalAveragePoolMatchesReference(int C, int hw, int n) {
        float[] x = uniform(new SplittableRandom(hw + n), n * C * hw, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, toChannelMajor(x, n, C, hw), (long) MAX_N * C * hw);
            Buf out = empty(arena, (long) MAX_N * C);
            Pooling.globalAveragePool(in.seg(), in.off(), C, hw, n, out.seg(), out.off());
            double[] expected = new double[C * n], magnitude = new double[C * n];
            for (int s = 0; s < n; s++) {
                for (int c = 0; c < C; c++) {
                    double sum = 0, size = 0;
                    for (int p = 0; p < hw; p++) {
                        sum += x[(s * C + c) * hw + p];
                        size += Math.abs(x[(s * C + c) * hw + p]);
                    }
                    expected[c * n + s] = sum / hw; // features × samples
                    magnitude[c * n + s] = size / hw;
                }
            }
            assertClose(expected, magnitude, out.read(C * n), 1e-6, "global average pool");
            out.assertUntouchedBeyond((long) C * n, "global average pool");
        }
    }

    /** Runs a pool on NCHW input x; returns the output in NCHW. */
    private static float[] runPool(boolean max, float[] x, int C, int H, int W, int K, int stride, int pad, int n) {
        int Ho = Conv2d.outputSize(H, K, stride, pad), Wo = Conv2d.outputSize(W, K, stride, pad);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, toChannelMajor(x, n, C, H * W), (long) MAX_N * C * H * W);
            Buf out = empty(arena, (long) MAX_N * C * Ho * Wo);
            if (max) {
                Pooling.maxPool(in.seg(), in.off(), C, H, W, n, K, stride, pad, out.seg(), out.off());
            } else {
                Pooling.averagePool(in.seg(), in.off(), C, H, W, n, K, stride, pad, out.seg(), out.off());
            }
            int count = n * C * Ho * Wo;
            out.assertUntouchedBeyond(count, "pool output");
            return toNchw(out.read(count), n, C, Ho * Wo);
        }
    }

    /**
     * The definition over an explicitly padded copy of each image: −∞ padding for max, 0 for average (divided by K·K
     * whatever the window covers, PyTorch's count_include_pad=True).
     */
    private static double[] referencePool(boolean max, float[] x, int C, int H, int W, int K, int stride, int pad,
                                          int n, double[] magnitude) {
        int Ho = Conv2d.outputSize(H, K, stride, pad), Wo = Conv2d.outputSize(W, K, stride, pad);
        int Hp = H + 2 * pad, Wp = W + 2 * pad;
        double[] out = new double[n * C * Ho * Wo];
        for (int s = 0; s < n; s++) {
            for (int c = 0; c < C; c++) {
                double[] padded = new double[Hp * Wp];
                Arrays.fill(padded, max ? Double.NEGATIVE_INFINITY : 0);
                for (int y = 0; y < H; y++) {
                    for (int xx = 0; xx < W; xx++) {
                        padded[(y + pad) * Wp + xx + pad] = x[((s * C + c) * H + y) * W + xx];
                    }
                }
                for (int oy = 0; oy < Ho; oy++) {
                    for (int ox = 0; ox < Wo; ox++) {
                        double acc = max ? Double.NEGATIVE_INFINITY : 0, size = 0;
                        for (int ky = 0; ky < K; ky++) {
                            for (int kx = 0; kx < K; kx++) {
                                double v = padded[(oy * stride + ky) * Wp + ox * stride + kx];
                                acc = max ? Math.max(acc, v) : acc + v;
                                size += max ? 0 : Math.abs(v);
                            }
                        }
                        int index = ((s * C + c) * Ho + oy) * Wo + ox;
                        out[index] = max ? acc : acc / (K * K);
                        if (magnitude != null) {
                            magnitude[index] = size / (K * K);
                        }
                    }
                }
            }
        }
        return out;
    }

    private static float[] toFloats(double[] values) {
        float[] result = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = (float) values[i];
        }
        return result;
    }
}
