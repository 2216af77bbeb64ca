package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Conv2dBackwardTest.off;
import static dev.residual.runtime.ops.Conv2dBackwardTest.seg;
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

import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Layer and group norm backward, from the statistics their forwards save, against finite differences of double NCHW
 * references. Group norm with {@code G = 1} and layer norm differ only in the scale's granularity, and {@code G = C}
 * is instance norm; all three are covered.
 */
class NormBackwardTest {

    private static final float EPS = 1e-5f;

    @ParameterizedTest(name = "layer norm C{0} hw{1} n{2}")
    @CsvSource({"3,9,1", "3,9,3", "5,1,3", "2,49,3"})
    void layerNormMatchesFiniteDifferences(int C, int hw, int n) {
        check(C, hw, n, 0);
    }

    @ParameterizedTest(name = "group norm C{0} hw{1} n{2} G{3}")
    @CsvSource({"6,9,3,3", "6,9,1,2", "3,25,3,1", "4,9,3,4", "6,1,3,2"})
    void groupNormMatchesFiniteDifferences(int C, int hw, int n, int groups) {
        check(C, hw, n, groups);
    }

    /** {@code groups = 0} means layer norm. */
    private static void check(int C, int hw, int n, int groups) {
        boolean layer = groups == 0;
        int stats = layer ? n : n * groups;
        int paramCount = layer ? C * hw : C;
        SplittableRandom random = new SplittableRandom(C * 131L + hw * 7L + n + 17L * groups);
        int count = n * C * hw;
        float[] x = uniform(random, count, -2, 3);
        float[] gamma = uniform(random, paramCount, -1.5, 1.5), beta = uniform(random, paramCount, -1, 1);
        float[] lossWeights = uniform(random, count, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            long capacity = (long) MAX_N * C * hw;
            Buf in = place(arena, toChannelMajor(x, n, C, hw), capacity);
            Buf g = place(arena, gamma), b = place(arena, beta), out = empty(arena, capacity);
            Buf mean = empty(arena, MAX_N * Math.max(groups, 1)), rstd = empty(arena, MAX_N * Math.max(groups, 1));
            if (layer) {
                LayerNorm.forward(in.seg(), in.off(), C, hw, n, g.seg(), g.off(), b.seg(), b.off(), EPS, out.seg(),
                        out.off(), mean.seg(), mean.off(), rstd.seg(), rstd.off());
            } else {
                GroupNorm.forward(in.seg(), in.off(), C, hw, n, groups, g.seg(), g.off(), b.seg(), b.off(), EPS,
                        out.seg(), out.off(), mean.seg(), mean.off(), rstd.seg(), rstd.off());
            }
            float[] dy = toChannelMajor(lossWeights, n, C, hw);
            Buf dOut = place(arena, dy, capacity);
            Buf dGamma = empty(arena, paramCount), dBeta = empty(arena, paramCount), dIn = empty(arena, capacity);
            backward(layer, in, C, hw, n, groups, g, mean, rstd, dOut, dGamma, dBeta, dIn, false);

            double[] xd = doubles(x), gd = doubles(gamma), bd = doubles(beta), lw = doubles(lossWeights);
            GradCheck.Loss loss = () -> dot(lw, reference(xd, gd, bd, C, hw, n, groups));
            float[] inputGradient = dIn.read(count);
            String what = layer ? "layer norm " : "group norm ";
            assertGradient(numeric(xd, loss), toNchw(inputGradient, n, C, hw), 1e-4, what + "dIn");
            assertGradient(numeric(gd, loss), dGamma.read(paramCount), 1e-4, what + "dGamma");
            assertGradient(numeric(bd, loss), dBeta.read(paramCount), 1e-4, what + "dBeta");
            dIn.assertUntouchedBeyond(count, what + "dIn");
            dGamma.assertUntouchedBeyond(paramCount, what + "dGamma");
            dBeta.assertUntouchedBeyond(paramCount, what + "dBeta");
            mean.assertUntouchedBeyond(stats, what + "saved mean");

            float[] prior = uniform(random, count, -1, 1);
            Buf sum = place(arena, prior, capacity);
            backward(layer, in, C, hw, n, groups, g, mean, rstd, dOut, null, null, sum, true);
            assertAccumulated(prior, inputGradient, sum.read(count), 0, what + "accumulated dIn");
            sum.assertUntouchedBeyond(count, what + "accumulated dIn");

            // Without dIn the parameter gradients are the same; then dIn written over dOut.
            Buf dGamma2 = empty(arena, paramCount), dBeta2 = empty(arena, paramCount);
            backward(layer, in, C, hw, n, groups, g, mean, rstd, dOut, dGamma2, dBeta2, null, false);
            assertArrayEquals(dGamma.read(paramCount), dGamma2.read(paramCount), what + "dGamma without dIn");
            assertArrayEquals(dBeta.read(paramCount), dBeta2.read(paramCount), what + "dBeta without dIn");
            assertArrayEquals(dy, dOut.read(count), what + "dOut");
            backward(layer, in, C, hw, n, groups, g, mean, rstd, dOut, dGamma2, dBeta2, dOut, false);
            assertArrayEquals(inputGradient, dOut.read(count), what + "dIn written over dOut");
            assertArrayEquals(dGamma.read(paramCount), dGamma2.read(paramCount), what + "dGamma with dIn over dOut");
        }
    }

    private static void backward(boolean layer, Buf in, int C, int hw, int n, int groups, Buf gamma, Buf mean,
                                 Buf rstd, Buf dOut, Buf dGamma, Buf dBeta, Buf dIn, boolean accumulate) {
        if (layer) {
            LayerNorm.backward(in.seg(), in.off(), C, hw, n, gamma.seg(), gamma.off(), mean.seg(), mean.off(),
                    rstd.seg(), rstd.off(), dOut.seg(), dOut.off(), seg(dGamma), off(dGamma), seg(dBeta), off(dBeta),
                    seg(dIn), off(dIn), accumulate);
        } else {
            GroupNorm.backward(in.seg(), in.off(), C, hw, n, groups, gamma.seg(), gamma.off(), mean.seg(), mean.off(),
                    rstd.seg(), rstd.off(), dOut.seg(), dOut.off(), seg(dGamma), off(dGamma), seg(dBeta), off(dBeta),
                    seg(dIn), off(dIn), accumulate);
        }
    }

    /**
     * NCHW in double: each sample normalized over groups of {@code C/G} consecutive channels (in NCHW a contiguous
     * run), then scaled per channel; {@code groups = 0} is layer norm (one group, scaled per feature).
     */
    private static double[] reference(double[] x, double[] gamma, double[] beta, int C, int hw, int n, int groups) {
        boolean layer = groups == 0;
        int G = layer ? 1 : groups, size = C / G * hw;
        double[] y = new double[x.length];
        for (int s = 0; s < n; s++) {
            for (int g = 0; g < G; g++) {
                int start = s * C * hw + g * size;
                double sum = 0;
                for (int i = start; i < start + size; i++) {
                    sum += x[i];
                }
                double mu = sum / size, squares = 0;
                for (int i = start; i < start + size; i++) {
                    squares += (x[i] - mu) * (x[i] - mu);
                }
                double rstd = 1 / Math.sqrt(squares / size + EPS);
                for (int i = start; i < start + size; i++) {
                    int feature = i - s * C * hw; // c·hw + p
                    int param = layer ? feature : feature / hw;
                    y[i] = (x[i] - mu) * rstd * gamma[param] + beta[param];
                }
            }
        }
        return y;
    }
}
