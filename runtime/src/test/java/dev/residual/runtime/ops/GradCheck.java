package dev.residual.runtime.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

/**
 * Finite-difference gradient checks for the backward kernels. Each test writes a double-precision reference of the
 * forward pass over double arrays (NCHW unless said otherwise) and a scalar loss {@code L = Σ w ⊙ f(x)} with fixed
 * random weights {@code w}; {@link #numeric} differentiates that loss by central differences, in double, with
 * respect to every element of one of its arrays. The kernel's backward, handed {@code dOut = w}, must agree.
 *
 * <p>The step {@link #STEP} balances truncation ({@code O(h²)}, about 1e-11 relative for these smooth functions) and
 * cancellation ({@code O(ε_double·|L|/h)}, about 1e-10). Piecewise-linear functions (ReLU, max pooling) are tested on
 * inputs kept much farther than {@code h} from their kinks and ties.
 */
final class GradCheck {

    private GradCheck() {}

    static final double STEP = 1e-5;

    /** A scalar loss of arrays that {@link #numeric} perturbs in place. */
    @FunctionalInterface
    interface Loss {
        double value();
    }

    /** {@code ∂L/∂x[i]} for every {@code i} by central differences; {@code x} is restored afterwards. */
    static double[] numeric(double[] x, Loss loss) {
        double[] gradient = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double saved = x[i];
            x[i] = saved + STEP;
            double plus = loss.value();
            x[i] = saved - STEP;
            double minus = loss.value();
            x[i] = saved;
            gradient[i] = (plus - minus) / (2 * STEP);
        }
        return gradient;
    }

    static double dot(double[] w, double[] y) {
        assertEquals(w.length, y.length, "loss weights and output");
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            sum += w[i] * y[i];
        }
        return sum;
    }

    static double[] doubles(float[] values) {
        double[] result = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = values[i];
        }
        return result;
    }

    /**
     * Fails unless {@code |actual − expected| ≤ rtol·(|expected| + 0.01·max|expected|)} everywhere: relative where
     * the gradient is of typical size, and an absolute floor where it nearly cancels to 0 (float rounding error there
     * scales with the size of the terms, not of their sum).
     */
    static void assertGradient(double[] expected, float[] actual, double rtol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double max = 0;
        for (double e : expected) {
            max = Math.max(max, Math.abs(e));
        }
        if (max == 0) {
            fail(what + ": the expected gradient is 0 everywhere, which checks nothing");
        }
        for (int i = 0; i < expected.length; i++) {
            double allowed = rtol * (Math.abs(expected[i]) + 0.01 * max);
            double error = Math.abs(actual[i] - expected[i]);
            if (!(error <= allowed)) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (error " + error
                        + ", allowed " + allowed + ")");
            }
        }
    }

    /**
     * Fails unless {@code accumulated ≈ prior + overwritten}: an accumulating call added the same gradient an
     * overwriting call wrote. With {@code rtol = 0} the sum must be exact, as it is for kernels that compute each
     * element's gradient and then add it.
     */
    static void assertAccumulated(float[] prior, float[] overwritten, float[] accumulated, double rtol, String what) {
        assertEquals(prior.length, accumulated.length, what + ": length");
        double max = 0;
        for (float v : overwritten) {
            max = Math.max(max, Math.abs(v));
        }
        for (int i = 0; i < prior.length; i++) {
            float expected = prior[i] + overwritten[i];
            double allowed = rtol * (Math.abs(prior[i]) + Math.abs(overwritten[i]) + 0.01 * max);
            if (!(Math.abs(accumulated[i] - expected) <= allowed)) {
                fail(what + ": element " + i + " is " + accumulated[i] + ", expected " + prior[i] + " + "
                        + overwritten[i] + " = " + expected);
            }
        }
    }

    /**
     * {@code count} values in {@code [lo, hi)} at least {@code (hi − lo)/(2·count)} apart from each other, in random
     * order: no two are within a finite-difference step, so a maximum never changes hands under the perturbation.
     */
    static float[] distinct(SplittableRandom random, int count, double lo, double hi) {
        float[] values = new float[count];
        double spacing = (hi - lo) / count;
        for (int i = 0; i < count; i++) {
            values[i] = (float) (lo + (i + 0.25 + 0.5 * random.nextDouble()) * spacing);
        }
        for (int i = count - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            float t = values[i];
            values[i] = values[j];
            values[j] = t;
        }
        return values;
    }

    /** Uniform values in {@code [lo, hi)} kept at least {@code margin} away from 0 (ReLU's kink). */
    static float[] awayFromZero(SplittableRandom random, int count, double lo, double hi, double margin) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            double v;
            do {
                v = random.nextDouble(lo, hi);
            } while (Math.abs(v) < margin);
            values[i] = (float) v;
        }
        return values;
    }
}
