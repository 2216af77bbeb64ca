package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.assertClose;
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
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Batch norm in training: the forward with batch statistics and PyTorch's running-statistics update, and the backward
 * through the batch mean and variance, against double NCHW references and finite differences.
 */
class BatchNormTrainingTest {

    private static final float EPS = 1e-5f;

    static Stream<Arguments> forwardCases() {
        Stream.Builder<Arguments> cases = Stream.builder();
        int[][] shapes = {{3, 49, 1}, {3, 49, 3}, {5, 1, 3}, {2, 9, 3}}; // C, hw, n (hw = 1: BatchNorm1d)
        for (int[] shape : shapes) {
            for (boolean residual : new boolean[] {false, true}) {
                for (boolean relu : new boolean[] {false, true}) {
                    cases.add(Arguments.of(shape[0], shape[1], shape[2], residual, relu, residual && !relu));
                }
            }
        }
        return cases.build();
    }

    @ParameterizedTest(name = "C{0} hw{1} n{2} residual {3} relu {4} in place {5}")
    @MethodSource("forwardCases")
    void trainingForwardMatchesReference(int C, int hw, int n, boolean withResidual, boolean relu, boolean inPlace) {
        SplittableRandom random = new SplittableRandom(C * 1000L + hw * 10L + n);
        int count = n * C * hw, length = n * hw;
        // A mean far from 0 next to the spread: one-pass E[x²] − E[x]² in float would lose the variance.
        float[] x = uniform(random, count, 40, 46);
        float[] r = uniform(random, count, -2, 2);
        float[] gamma = uniform(random, C, -1.5, 1.5), beta = uniform(random, C, -1, 1);
        float[] runningMean = uniform(random, C, -1, 1), runningVar = uniform(random, C, 0.5, 2);
        float momentum = 0.1f;
        try (Arena arena = Arena.ofConfined()) {
            long capacity = (long) MAX_N * C * hw;
            Buf in = place(arena, toChannelMajor(x, n, C, hw), capacity);
            Buf residual = withResidual ? place(arena, toChannelMajor(r, n, C, hw), capacity) : null;
            Buf out = inPlace ? in : empty(arena, capacity);
            Buf g = place(arena, gamma), b = place(arena, beta);
            Buf rm = place(arena, runningMean), rv = place(arena, runningVar);
            Buf mean = empty(arena, C), rstd = empty(arena, C);

            BatchNorm.trainingForward(in.seg(), in.off(), C, hw, n, g.seg(), g.off(), b.seg(), b.off(),
                    rm.seg(), rm.off(), rv.seg(), rv.off(), momentum, EPS, mean.seg(), mean.off(), rstd.seg(),
                    rstd.off(), residual == null ? null : residual.seg(), residual == null ? 0 : residual.off(), relu,
                    out.seg(), out.off());

            double[] expected = new double[count], magnitude = new double[count];
            double[] means = new double[C], rstds = new double[C], newMean = new double[C], newVar = new double[C];
            for (int c = 0; c < C; c++) {
                double sum = 0;
                for (int s = 0; s < n; s++) {
                    for (int p = 0; p < hw; p++) {
                        sum += x[(s * C + c) * hw + p];
                    }
                }
                double mu = sum / length, squares = 0;
                for (int s = 0; s < n; s++) {
                    for (int p = 0; p < hw; p++) {
                        double d = x[(s * C + c) * hw + p] - mu;
                        squares += d * d;
                    }
                }
                double var = squares / length;
                means[c] = mu;
                rstds[c] = 1 / Math.sqrt(var + EPS);
                // PyTorch: running = (1 − momentum)·running + momentum·batch, the variance unbiased.
                newMean[c] = (1 - (double) momentum) * runningMean[c] + momentum * mu;
                newVar[c] = (1 - (double) momentum) * runningVar[c] + momentum * squares / (length - 1);
                for (int s = 0; s < n; s++) {
                    for (int p = 0; p < hw; p++) {
                        int i = (s * C + c) * hw + p;
                        double normalized = (x[i] - mu) * rstds[c] * gamma[c];
                        double y = normalized + beta[c] + (withResidual ? r[i] : 0);
                        expected[i] = relu ? Math.max(y, 0) : y;
                        magnitude[i] = Math.abs(normalized) + Math.abs(beta[c]) + (withResidual ? Math.abs(r[i]) : 0);
                    }
                }
            }
            assertClose(expected, magnitude, toNchw(out.read(count), n, C, hw), 1e-5, "training batch norm");
            assertClose(means, null, mean.read(C), 1e-6, "saved mean");
            assertClose(rstds, null, rstd.read(C), 1e-6, "saved rstd");
            assertClose(newMean, null, rm.read(C), 1e-6, "running mean");
            assertClose(newVar, null, rv.read(C), 1e-6, "running var");
            if (!inPlace) {
                out.assertUntouchedBeyond(count, "output");
            }
            mean.assertUntouchedBeyond(C, "saved mean");
            rstd.assertUntouchedBeyond(C, "saved rstd");
        }
    }

    /**
     * The running statistics worked by hand as {@code torch.nn.BatchNorm2d(2)} computes them on a 2×2×1×2 input:
     * channel 0 holds 1, 2, 3, 4 (mean 2.5, biased variance 1.25, unbiased 5/3), channel 1 holds −1, −1, 1, 1.
     */
    @Test
    void runningStatisticsFollowPyTorch() {
        // NCHW [[[[1, 2]], [[-1, 1]]], [[[3, 4]], [[-1, 1]]]] → channel-major rows [1, 2, 3, 4], [-1, 1, -1, 1].
        float[] in = {1, 2, 3, 4, -1, 1, -1, 1};
        try (Arena arena = Arena.ofConfined()) {
            Buf x = place(arena, in), out = empty(arena, in.length);
            Buf gamma = place(arena, new float[] {1, 1}), beta = place(arena, new float[] {0, 0});
            Buf rm = place(arena, new float[] {0, 0}), rv = place(arena, new float[] {1, 1});
            Buf mean = empty(arena, 2), rstd = empty(arena, 2);
            for (int step = 0; step < 2; step++) {
                BatchNorm.trainingForward(x.seg(), x.off(), 2, 2, 2, gamma.seg(), gamma.off(), beta.seg(), beta.off(),
                        rm.seg(), rm.off(), rv.seg(), rv.off(), 0.1f, EPS, mean.seg(), mean.off(), rstd.seg(),
                        rstd.off(), null, 0, false, out.seg(), out.off());
            }
            // After two identical steps: running = 0.9²·initial + (1 − 0.9²)·batch.
            assertEquals(0.19 * 2.5, rm.get(0), 1e-6);
            assertEquals(0.81 + 0.19 * 5.0 / 3, rv.get(0), 1e-6);
            assertEquals(0.0, rm.get(1), 1e-7);
            assertEquals(0.81 + 0.19 * 4.0 / 3, rv.get(1), 1e-6);
            assertEquals(2.5f, mean.get(0));
            assertEquals(1 / Math.sqrt(1.25 + EPS), rstd.get(0), 1e-7);
            assertEquals(1 / Math.sqrt(1 + EPS), rstd.get(1), 1e-7);
            assertEquals((1 - 2.5) / Math.sqrt(1.25 + EPS), out.get(0), 1e-6);
        }
    }

    @Test
    void rejectsASingleValuePerChannel() {
        MemorySegment any = MemorySegment.ofArray(new float[64]);
        assertThrows(IllegalArgumentException.class, () -> BatchNorm.trainingForward(any, 0, 2, 1, 1, any, 0, any, 0,
                any, 0, any, 0, 0.1f, EPS, any, 0, any, 0, null, 0, false, any, 0));
    }

    @ParameterizedTest(name = "C{0} hw{1} n{2}")
    @CsvSource({"3,49,1", "3,9,3", "4,1,3", "2,25,3"})
    void backwardMatchesFiniteDifferences(int C, int hw, int n) {
        SplittableRandom random = new SplittableRandom(C * 77L + hw + n);
        int count = n * C * hw;
        float[] x = uniform(random, count, -2, 3);
        float[] gamma = uniform(random, C, -1.5, 1.5), beta = uniform(random, C, -1, 1);
        float[] lossWeights = uniform(random, count, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            long capacity = (long) MAX_N * C * hw;
            Buf in = place(arena, toChannelMajor(x, n, C, hw), capacity);
            Buf g = place(arena, gamma), b = place(arena, beta);
            Buf mean = empty(arena, C), rstd = empty(arena, C), out = empty(arena, capacity);
            // No running statistics: they may be left out.
            BatchNorm.trainingForward(in.seg(), in.off(), C, hw, n, g.seg(), g.off(), b.seg(), b.off(), null, 0,
                    null, 0, 0.1f, EPS, mean.seg(), mean.off(), rstd.seg(), rstd.off(), null, 0, false, out.seg(),
                    out.off());
            float[] dy = toChannelMajor(lossWeights, n, C, hw);
            Buf dOut = place(arena, dy, capacity);
            Buf dGamma = empty(arena, C), dBeta = empty(arena, C), dIn = empty(arena, capacity);
            backward(in, C, hw, n, g, mean, rstd, dOut, dGamma, dBeta, dIn, false);

            double[] xd = doubles(x), gd = doubles(gamma), bd = doubles(beta), lw = doubles(lossWeights);
            GradCheck.Loss loss = () -> dot(lw, reference(xd, gd, bd, C, hw, n));
            float[] inputGradient = dIn.read(count);
            assertGradient(numeric(xd, loss), toNchw(inputGradient, n, C, hw), 1e-4, "dIn");
            assertGradient(numeric(gd, loss), dGamma.read(C), 1e-4, "dGamma");
            assertGradient(numeric(bd, loss), dBeta.read(C), 1e-4, "dBeta");
            dIn.assertUntouchedBeyond(count, "dIn");
            dGamma.assertUntouchedBeyond(C, "dGamma");
            dBeta.assertUntouchedBeyond(C, "dBeta");
            assertArrayEquals(dy, dOut.read(count), "dOut");

            float[] prior = uniform(random, count, -1, 1);
            Buf sum = place(arena, prior, capacity);
            backward(in, C, hw, n, g, mean, rstd, dOut, null, null, sum, true);
            assertAccumulated(prior, inputGradient, sum.read(count), 0, "accumulated dIn");

            // In place over dOut, and without dIn.
            backward(in, C, hw, n, g, mean, rstd, dOut, null, null, dOut, false);
            assertArrayEquals(inputGradient, dOut.read(count), "dIn written over dOut");
            Buf dGamma2 = empty(arena, C), dBeta2 = empty(arena, C);
            Buf fresh = place(arena, dy, capacity);
            backward(in, C, hw, n, g, mean, rstd, fresh, dGamma2, dBeta2, null, false);
            assertArrayEquals(dGamma.read(C), dGamma2.read(C), "dGamma without dIn");
            assertArrayEquals(dBeta.read(C), dBeta2.read(C), "dBeta without dIn");
        }
    }

    /**
     * The chain the generator emits for {@code y = relu(bn(x) + r)} computed by one fused forward: the ReLU's mask
     * from y, the norm's backward, and the add's gradient sent to the residual.
     */
    @Test
    void fusedResidualReluChain() {
        int C = 3, hw = 25, n = 3, count = n * C * hw;
        SplittableRandom random = new SplittableRandom(8);
        float[] x = uniform(random, count, -2, 2), r = uniform(random, count, -1, 1);
        float[] gamma = uniform(random, C, 0.5, 1.5), beta = uniform(random, C, -0.5, 0.5);
        float[] lossWeights = uniform(random, count, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, toChannelMajor(x, n, C, hw)), res = place(arena, toChannelMajor(r, n, C, hw));
            Buf g = place(arena, gamma), b = place(arena, beta), mean = empty(arena, C), rstd = empty(arena, C);
            Buf y = empty(arena, count);
            BatchNorm.trainingForward(in.seg(), in.off(), C, hw, n, g.seg(), g.off(), b.seg(), b.off(), null, 0, null,
                    0, 0.1f, EPS, mean.seg(), mean.off(), rstd.seg(), rstd.off(), res.seg(), res.off(), true, y.seg(),
                    y.off());
            Buf dY = place(arena, toChannelMajor(lossWeights, n, C, hw));
            Buf dX = empty(arena, count), dR = empty(arena, count);
            Buf dGamma = empty(arena, C), dBeta = empty(arena, C);
            Activations.reluBackward(y.seg(), y.off(), dY.seg(), dY.off(), C, hw, n, dY.seg(), dY.off(), false);
            BatchNorm.backward(in.seg(), in.off(), C, hw, n, g.seg(), g.off(), mean.seg(), mean.off(), rstd.seg(),
                    rstd.off(), dY.seg(), dY.off(), dGamma.seg(), dGamma.off(), dBeta.seg(), dBeta.off(), dX.seg(),
                    dX.off(), false);
            Elementwise.accumulate(dY.seg(), dY.off(), C, hw, n, dR.seg(), dR.off(), true);

            double[] xd = doubles(x), rd = doubles(r), gd = doubles(gamma), bd = doubles(beta);
            double[] lw = doubles(lossWeights);
            GradCheck.Loss loss = () -> {
                double[] z = reference(xd, gd, bd, C, hw, n);
                for (int i = 0; i < z.length; i++) {
                    z[i] = Math.max(z[i] + rd[i], 0);
                }
                return dot(lw, z);
            };
            assertGradient(numeric(xd, loss), toNchw(dX.read(count), n, C, hw), 1e-4, "dX");
            assertGradient(numeric(rd, loss), toNchw(dR.read(count), n, C, hw), 1e-4, "dR");
            assertGradient(numeric(gd, loss), dGamma.read(C), 1e-4, "dGamma");
            assertGradient(numeric(bd, loss), dBeta.read(C), 1e-4, "dBeta");
        }
    }

    private static void backward(Buf in, int C, int hw, int n, Buf gamma, Buf mean, Buf rstd, Buf dOut, Buf dGamma,
                                 Buf dBeta, Buf dIn, boolean accumulate) {
        BatchNorm.backward(in.seg(), in.off(), C, hw, n, gamma.seg(), gamma.off(), mean.seg(), mean.off(), rstd.seg(),
                rstd.off(), dOut.seg(), dOut.off(), Conv2dBackwardTest.seg(dGamma), Conv2dBackwardTest.off(dGamma),
                Conv2dBackwardTest.seg(dBeta), Conv2dBackwardTest.off(dBeta), Conv2dBackwardTest.seg(dIn),
                Conv2dBackwardTest.off(dIn), accumulate);
    }

    /** Batch norm with batch statistics, NCHW in double. */
    private static double[] reference(double[] x, double[] gamma, double[] beta, int C, int hw, int n) {
        double[] y = new double[x.length];
        int length = n * hw;
        for (int c = 0; c < C; c++) {
            double sum = 0;
            for (int s = 0; s < n; s++) {
                for (int p = 0; p < hw; p++) {
                    sum += x[(s * C + c) * hw + p];
                }
            }
            double mu = sum / length, squares = 0;
            for (int s = 0; s < n; s++) {
                for (int p = 0; p < hw; p++) {
                    double d = x[(s * C + c) * hw + p] - mu;
                    squares += d * d;
                }
            }
            double rstd = 1 / Math.sqrt(squares / length + EPS);
            for (int s = 0; s < n; s++) {
                for (int p = 0; p < hw; p++) {
                    int i = (s * C + c) * hw + p;
                    y[i] = (x[i] - mu) * rstd * gamma[c] + beta[c];
                }
            }
        }
        return y;
    }
}
