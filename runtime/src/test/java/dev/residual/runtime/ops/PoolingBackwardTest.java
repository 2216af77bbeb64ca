package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.toChannelMajor;
import static dev.residual.runtime.ops.Fixtures.toNchw;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static dev.residual.runtime.ops.GradCheck.assertAccumulated;
import static dev.residual.runtime.ops.GradCheck.assertGradient;
import static dev.residual.runtime.ops.GradCheck.distinct;
import static dev.residual.runtime.ops.GradCheck.dot;
import static dev.residual.runtime.ops.GradCheck.doubles;
import static dev.residual.runtime.ops.GradCheck.numeric;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Pooling backward against finite differences of double NCHW pools, and max pooling's tie rule. */
class PoolingBackwardTest {

    private static final String SHAPES = """
            3, 9, 7, 3, 2, 1, 1
            3, 9, 7, 3, 2, 1, 3
            2, 9, 9, 2, 2, 0, 3
            3, 7, 7, 3, 1, 1, 3
            2, 7, 9, 5, 3, 2, 3
            1, 9, 9, 1, 2, 0, 3
            2, 9, 9, 2, 3, 1, 3
            """;

    @ParameterizedTest(name = "max C{0} {1}×{2} K{3} stride {4} pad {5} n{6}")
    @CsvSource(textBlock = SHAPES)
    void maxPoolMatchesFiniteDifferences(int C, int H, int W, int K, int stride, int pad, int n) {
        check(true, C, H, W, K, stride, pad, n);
    }

    @ParameterizedTest(name = "average C{0} {1}×{2} K{3} stride {4} pad {5} n{6}")
    @CsvSource(textBlock = SHAPES)
    void averagePoolMatchesFiniteDifferences(int C, int H, int W, int K, int stride, int pad, int n) {
        check(false, C, H, W, K, stride, pad, n);
    }

    private static void check(boolean max, int C, int H, int W, int K, int stride, int pad, int n) {
        SplittableRandom random = new SplittableRandom(H * 31L + K * 7L + stride + n + (max ? 1000 : 0));
        int Ho = Conv2d.outputSize(H, K, stride, pad), Wo = Conv2d.outputSize(W, K, stride, pad);
        int inCount = n * C * H * W, outCount = n * C * Ho * Wo;
        float[] x = distinct(random, inCount, -1, 1); // no two within a step of each other: maxima never tie
        float[] lossWeights = uniform(random, outCount, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            long capacity = (long) MAX_N * C * H * W;
            Buf in = place(arena, toChannelMajor(x, n, C, H * W), capacity);
            Buf dOut = place(arena, toChannelMajor(lossWeights, n, C, Ho * Wo), (long) MAX_N * C * Ho * Wo);
            Buf dIn = empty(arena, capacity);
            backward(max, in, C, H, W, n, K, stride, pad, dOut, dIn, false);

            double[] xd = doubles(x), lw = doubles(lossWeights);
            GradCheck.Loss loss = () -> dot(lw, reference(max, xd, C, H, W, K, stride, pad, n));
            float[] gradient = dIn.read(inCount);
            String what = (max ? "max" : "average") + " pool dIn";
            assertGradient(numeric(xd, loss), toNchw(gradient, n, C, H * W), 1e-4, what);
            dIn.assertUntouchedBeyond(inCount, what);
            assertArrayEquals(toChannelMajor(lossWeights, n, C, Ho * Wo), dOut.read(outCount), "dOut");

            float[] prior = uniform(random, inCount, -1, 1);
            Buf sum = place(arena, prior, capacity);
            backward(max, in, C, H, W, n, K, stride, pad, dOut, sum, true);
            assertAccumulated(prior, gradient, sum.read(inCount), 1e-6, what + " accumulated");
            sum.assertUntouchedBeyond(inCount, what + " accumulated");
        }
    }

    /**
     * On a constant image every window ties; PyTorch gives each window's gradient to its first pixel (row-major,
     * padding excluded). With 3×3 windows, stride 1 and padding 1 the first pixel of window (oy, ox) is
     * (max(oy − 1, 0), max(ox − 1, 0)).
     */
    @Test
    void maxPoolTiesGoToTheFirstPixel() {
        int H = 5, W = 5;
        float[] ones = new float[H * W];
        java.util.Arrays.fill(ones, 1f);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, ones), dOut = place(arena, ones), dIn = empty(arena, H * W);
            Pooling.maxPoolBackward(in.seg(), in.off(), 1, H, W, 1, 3, 1, 1, dOut.seg(), dOut.off(), dIn.seg(),
                    dIn.off(), false);
            float[] expected = new float[H * W];
            for (int oy = 0; oy < H; oy++) {
                for (int ox = 0; ox < W; ox++) {
                    expected[Math.max(oy - 1, 0) * W + Math.max(ox - 1, 0)] += 1;
                }
            }
            assertArrayEquals(expected, dIn.read(H * W));
        }
    }

    @ParameterizedTest(name = "C{0} hw{1} n{2}")
    @CsvSource({"3,49,1", "3,49,3", "5,81,3", "2,1,3"})
    void globalAveragePoolMatchesFiniteDifferences(int C, int hw, int n) {
        SplittableRandom random = new SplittableRandom(hw * 3L + n);
        int count = n * C * hw;
        float[] lossWeights = uniform(random, C * n, -1, 1); // C×n feature vectors
        try (Arena arena = Arena.ofConfined()) {
            Buf dOut = place(arena, lossWeights, (long) C * MAX_N), dIn = empty(arena, (long) MAX_N * C * hw);
            Pooling.globalAveragePoolBackward(C, hw, n, dOut.seg(), dOut.off(), dIn.seg(), dIn.off(), false);

            double[] xd = doubles(uniform(random, count, -1, 1)), lw = doubles(lossWeights);
            GradCheck.Loss loss = () -> {
                double sum = 0;
                for (int s = 0; s < n; s++) {
                    for (int c = 0; c < C; c++) {
                        double mean = 0;
                        for (int p = 0; p < hw; p++) {
                            mean += xd[(s * C + c) * hw + p];
                        }
                        sum += lw[c * n + s] * mean / hw;
                    }
                }
                return sum;
            };
            float[] gradient = dIn.read(count);
            assertGradient(numeric(xd, loss), toNchw(gradient, n, C, hw), 1e-5, "global average pool dIn");
            dIn.assertUntouchedBeyond(count, "global average pool dIn");

            float[] prior = uniform(random, count, -1, 1);
            Buf sum = place(arena, prior);
            Pooling.globalAveragePoolBackward(C, hw, n, dOut.seg(), dOut.off(), sum.seg(), sum.off(), true);
            assertAccumulated(prior, gradient, sum.read(count), 0, "global average pool accumulated");
            assertEquals(lossWeights[0] / hw, gradient[0]);
        }
    }

    private static void backward(boolean max, Buf in, int C, int H, int W, int n, int K, int stride, int pad,
                                 Buf dOut, Buf dIn, boolean accumulate) {
        if (max) {
            Pooling.maxPoolBackward(in.seg(), in.off(), C, H, W, n, K, stride, pad, dOut.seg(), dOut.off(), dIn.seg(),
                    dIn.off(), accumulate);
        } else {
            Pooling.averagePoolBackward(C, H, W, n, K, stride, pad, dOut.seg(), dOut.off(), dIn.seg(), dIn.off(),
                    accumulate);
        }
    }

    /** NCHW pooling in double, the window clipped to the image; average divides by K·K (count_include_pad). */
    private static double[] reference(boolean max, double[] x, int C, int H, int W, int K, int stride, int pad,
                                      int n) {
        int Ho = Conv2d.outputSize(H, K, stride, pad), Wo = Conv2d.outputSize(W, K, stride, pad);
        double[] out = new double[n * C * Ho * Wo];
        for (int image = 0; image < n * C; image++) {
            for (int oy = 0; oy < Ho; oy++) {
                for (int ox = 0; ox < Wo; ox++) {
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    for (int y = Math.max(0, oy * stride - pad); y < Math.min(H, oy * stride - pad + K); y++) {
                        for (int xx = Math.max(0, ox * stride - pad); xx < Math.min(W, ox * stride - pad + K); xx++) {
                            double v = x[(image * H + y) * W + xx];
                            acc = max ? Math.max(acc, v) : acc + v;
                        }
                    }
                    out[(image * Ho + oy) * Wo + ox] = max ? acc : acc / (K * K);
                }
            }
        }
        return out;
    }
}
