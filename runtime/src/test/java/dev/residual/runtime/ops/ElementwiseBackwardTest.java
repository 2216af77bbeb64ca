package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static dev.residual.runtime.ops.GradCheck.assertAccumulated;
import static dev.residual.runtime.ops.GradCheck.assertGradient;
import static dev.residual.runtime.ops.GradCheck.awayFromZero;
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
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The backward of the activations, of the add and bias epilogues, and of flatten/unflatten. Element-wise kernels
 * do not care about the layout, so their references work position by position on the channel-major arrays.
 */
class ElementwiseBackwardTest {

    private static final int C = 3, HW = 7 * 7;

    private enum Kind { RELU, GELU, GELU_TANH }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"RELU", "GELU", "GELU_TANH"})
    void activationsMatchFiniteDifferences(String name) {
        Kind kind = Kind.valueOf(name);
        SplittableRandom random = new SplittableRandom(kind.ordinal() + 1);
        for (int n : new int[] {1, 3}) {
            int count = C * n * HW;
            // Across GELU's curved part and into its tails; ReLU's inputs away from the kink.
            float[] x = awayFromZero(random, count, -6, 6, 1e-3);
            float[] lossWeights = uniform(random, count, -1, 1);
            try (Arena arena = Arena.ofConfined()) {
                long capacity = (long) C * MAX_N * HW;
                Buf in = place(arena, x, capacity);
                Buf y = empty(arena, capacity);
                forward(kind, in, n, y);
                Buf saved = kind == Kind.RELU ? y : in; // ReLU's backward reads its output, GELU's its input
                Buf dOut = place(arena, lossWeights, capacity);
                Buf dIn = empty(arena, capacity);
                backward(kind, saved, dOut, n, dIn, false);

                double[] xd = doubles(x), lw = doubles(lossWeights);
                GradCheck.Loss loss = () -> {
                    double[] out = new double[xd.length];
                    for (int i = 0; i < xd.length; i++) {
                        out[i] = reference(kind, xd[i]);
                    }
                    return dot(lw, out);
                };
                float[] gradient = dIn.read(count);
                assertGradient(numeric(xd, loss), gradient, 1e-4, kind + " dIn, n " + n);
                dIn.assertUntouchedBeyond(count, kind + " dIn");

                float[] prior = uniform(random, count, -1, 1);
                Buf sum = place(arena, prior, capacity);
                backward(kind, saved, dOut, n, sum, true);
                assertAccumulated(prior, gradient, sum.read(count), 0, kind + " accumulated dIn");
                sum.assertUntouchedBeyond(count, kind + " accumulated dIn");

                backward(kind, saved, dOut, n, dOut, false); // in place over dOut
                assertArrayEquals(gradient, dOut.read(count), kind + " in place");
            }
        }
    }

    /** Exactly PyTorch's formulas for GELU's derivatives, evaluated in double at points across the range. */
    @Test
    void geluDerivativesMatchPyTorchFormulas() {
        int count = 2401;
        float[] x = new float[count];
        for (int i = 0; i < count; i++) {
            x[i] = (float) (-12 + i * 0.01);
        }
        float[] ones = new float[count];
        java.util.Arrays.fill(ones, 1f);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, x), dOut = place(arena, ones), exact = empty(arena, count), tanh = empty(arena, count);
            Activations.geluBackward(in.seg(), in.off(), dOut.seg(), dOut.off(), 1, count, 1, exact.seg(), exact.off(),
                    false);
            Activations.geluTanhBackward(in.seg(), in.off(), dOut.seg(), dOut.off(), 1, count, 1, tanh.seg(),
                    tanh.off(), false);
            for (int i = 0; i < count; i++) {
                double v = x[i];
                // aten/src/ATen/native/cpu/Activation.cpp, GeluBackwardKernelImpl
                double cdf = ActivationsTest.referenceNormalCdf(v);
                double pdf = Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
                double expectedExact = cdf + v * pdf;
                double kBeta = Math.sqrt(2) * (2 / Math.sqrt(Math.PI)) * 0.5, kKappa = 0.044715;
                double inner = kBeta * (v + kKappa * v * v * v), t = Math.tanh(inner);
                double expectedTanh = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * kBeta * (1 + 3 * kKappa * v * v);
                assertEquals(expectedExact, exact.get(i), 1e-6 * Math.abs(expectedExact) + 1e-30, "exact at " + v);
                assertEquals(expectedTanh, tanh.get(i), 1e-6 * Math.abs(expectedTanh) + 1e-12, "tanh at " + v);
            }
        }
    }

    @ParameterizedTest(name = "C{0} hw{1} n{2}")
    @CsvSource({"3,49,1", "3,49,3", "5,1,3"})
    void accumulateCopiesOrAdds(int C, int hw, int n) {
        SplittableRandom random = new SplittableRandom(hw + n);
        int count = C * n * hw;
        float[] src = uniform(random, count, -1, 1), prior = uniform(random, count, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            long capacity = (long) C * MAX_N * hw;
            Buf from = place(arena, src, capacity), copy = empty(arena, capacity), sum = place(arena, prior, capacity);
            Elementwise.accumulate(from.seg(), from.off(), C, hw, n, copy.seg(), copy.off(), true);
            Elementwise.accumulate(from.seg(), from.off(), C, hw, n, sum.seg(), sum.off(), false);
            assertArrayEquals(src, copy.read(count), "overwrite");
            assertAccumulated(prior, src, sum.read(count), 0, "add");
            copy.assertUntouchedBeyond(count, "overwrite");
            sum.assertUntouchedBeyond(count, "add");
        }
    }

    /** L = Σ w·(x + bias[c]): dBias[c] is the row sum of w. */
    @ParameterizedTest(name = "C{0} hw{1} n{2}")
    @CsvSource({"3,49,1", "4,9,3", "5,1,3"})
    void biasGradientMatchesFiniteDifferences(int C, int hw, int n) {
        SplittableRandom random = new SplittableRandom(C + hw + n);
        int count = C * n * hw;
        float[] lossWeights = uniform(random, count, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Buf dOut = place(arena, lossWeights, (long) C * MAX_N * hw), dBias = empty(arena, C);
            Elementwise.biasGradient(dOut.seg(), dOut.off(), C, hw, n, dBias.seg(), dBias.off());
            double[] bias = new double[C], lw = doubles(lossWeights);
            GradCheck.Loss loss = () -> {
                double sum = 0;
                for (int i = 0; i < count; i++) {
                    sum += lw[i] * (1 + bias[i / (n * hw)]);
                }
                return sum;
            };
            assertGradient(numeric(bias, loss), dBias.read(C), 1e-5, "dBias");
            dBias.assertUntouchedBeyond(C, "dBias");
        }
    }

    /** The gradient of flatten is unflatten, and of unflatten flatten; both with accumulate. */
    @ParameterizedTest(name = "C{0} {1}×{2} n{3}")
    @CsvSource({"3,7,7,1", "3,9,7,3", "5,1,1,3"})
    void flattenAndUnflattenBackward(int C, int H, int W, int n) {
        SplittableRandom random = new SplittableRandom(C * H + W + n);
        int hw = H * W, count = C * n * hw;
        float[] x = uniform(random, count, -1, 1), lossWeights = uniform(random, count, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            long capacity = (long) C * MAX_N * hw;
            // L = Σ w·flatten(x): dx = unflatten(w).
            Buf dOut = place(arena, lossWeights, capacity), dIn = empty(arena, capacity);
            Layout.unflatten(dOut.seg(), dOut.off(), C, H, W, n, dIn.seg(), dIn.off(), false);
            double[] xd = doubles(x), lw = doubles(lossWeights);
            GradCheck.Loss flattened = () -> dot(lw, referenceFlatten(xd, C, hw, n));
            float[] gradient = dIn.read(count);
            assertGradient(numeric(xd, flattened), gradient, 1e-6, "flatten's gradient");
            dIn.assertUntouchedBeyond(count, "unflatten output");
            float[] prior = uniform(random, count, -1, 1);
            Buf sum = place(arena, prior, capacity);
            Layout.unflatten(dOut.seg(), dOut.off(), C, H, W, n, sum.seg(), sum.off(), true);
            assertAccumulated(prior, gradient, sum.read(count), 0, "unflatten accumulate");

            // L = Σ w·unflatten(x): dx = flatten(w).
            Buf dFlat = empty(arena, capacity);
            Layout.flatten(dOut.seg(), dOut.off(), C, H, W, n, dFlat.seg(), dFlat.off(), false);
            GradCheck.Loss unflattened = () -> dot(lw, referenceUnflatten(xd, C, hw, n));
            float[] flatGradient = dFlat.read(count);
            assertGradient(numeric(xd, unflattened), flatGradient, 1e-6, "unflatten's gradient");
            Buf flatSum = place(arena, prior, capacity);
            Layout.flatten(dOut.seg(), dOut.off(), C, H, W, n, flatSum.seg(), flatSum.off(), true);
            assertAccumulated(prior, flatGradient, flatSum.read(count), 0, "flatten accumulate");
            flatSum.assertUntouchedBeyond(count, "flatten accumulate");
        }
    }

    /** Channel-major (c, s, p) to features-by-samples (c·hw + p, s). */
    private static double[] referenceFlatten(double[] x, int C, int hw, int n) {
        double[] out = new double[x.length];
        for (int c = 0; c < C; c++) {
            for (int s = 0; s < n; s++) {
                for (int p = 0; p < hw; p++) {
                    out[(c * hw + p) * n + s] = x[(c * n + s) * hw + p];
                }
            }
        }
        return out;
    }

    private static double[] referenceUnflatten(double[] x, int C, int hw, int n) {
        double[] out = new double[x.length];
        for (int c = 0; c < C; c++) {
            for (int s = 0; s < n; s++) {
                for (int p = 0; p < hw; p++) {
                    out[(c * n + s) * hw + p] = x[(c * hw + p) * n + s];
                }
            }
        }
        return out;
    }

    private static void forward(Kind kind, Buf in, int n, Buf out) {
        switch (kind) {
            case RELU -> Activations.relu(in.seg(), in.off(), C, HW, n, out.seg(), out.off());
            case GELU -> Activations.gelu(in.seg(), in.off(), C, HW, n, out.seg(), out.off());
            case GELU_TANH -> Activations.geluTanh(in.seg(), in.off(), C, HW, n, out.seg(), out.off());
        }
    }

    private static void backward(Kind kind, Buf saved, Buf dOut, int n, Buf dIn, boolean accumulate) {
        switch (kind) {
            case RELU -> Activations.reluBackward(saved.seg(), saved.off(), dOut.seg(), dOut.off(), C, HW, n,
                    dIn.seg(), dIn.off(), accumulate);
            case GELU -> Activations.geluBackward(saved.seg(), saved.off(), dOut.seg(), dOut.off(), C, HW, n,
                    dIn.seg(), dIn.off(), accumulate);
            case GELU_TANH -> Activations.geluTanhBackward(saved.seg(), saved.off(), dOut.seg(), dOut.off(), C, HW,
                    n, dIn.seg(), dIn.off(), accumulate);
        }
    }

    private static double reference(Kind kind, double x) {
        return switch (kind) {
            case RELU -> Math.max(x, 0);
            case GELU -> x * ActivationsTest.referenceNormalCdf(x);
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
        };
    }
}
