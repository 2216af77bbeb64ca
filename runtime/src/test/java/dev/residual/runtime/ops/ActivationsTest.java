package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.assertClose;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * ReLU and both GELUs. Element-wise kernels do not care about the layout, so the checks compare position by position;
 * the GELU references use an error function written here independently of the kernel's (a Taylor series and a
 * continued fraction), itself checked against published values.
 */
class ActivationsTest {

    private static final int C = 3, HW = 7 * 7;

    @Test
    void reluInPlaceAndOutOfPlace() {
        SplittableRandom random = new SplittableRandom(1);
        for (int n : new int[] {1, 3}) {
            int count = C * n * HW;
            float[] x = uniform(random, count, -1, 1);
            try (Arena arena = Arena.ofConfined()) {
                Buf in = place(arena, x, (long) C * MAX_N * HW);
                Buf out = empty(arena, (long) C * MAX_N * HW);
                Activations.relu(in.seg(), in.off(), C, HW, n, out.seg(), out.off());
                Activations.relu(in.seg(), in.off(), C, HW, n);
                for (int i = 0; i < count; i++) {
                    assertEquals(Math.max(x[i], 0f), out.get(i));
                    assertEquals(Math.max(x[i], 0f), in.get(i));
                }
                out.assertUntouchedBeyond(count, "relu output");
                in.assertUntouchedBeyond(count, "relu in place");
            }
        }
    }

    /** The task's bar: the float exact GELU within 1e-6 (relative) of a double reference, across its whole range. */
    @Test
    void exactGeluMatchesDoubleReference() {
        float[] x = sweep();
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, x);
            Buf out = empty(arena, x.length);
            Activations.gelu(in.seg(), in.off(), 1, x.length, 1, out.seg(), out.off());
            double[] expected = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                expected[i] = x[i] * referenceNormalCdf(x[i]);
            }
            assertClose(expected, null, out.read(x.length), 1e-6, "exact GELU");
            out.assertUntouchedBeyond(x.length, "exact GELU");
        }
    }

    /** The double-precision error function itself, well beyond what float needs. */
    @Test
    void erfAndNormalCdfInDouble() {
        double worstErf = 0, worstCdf = 0;
        for (int i = 0; i <= 24000; i++) {
            double z = -6 + i * 0.0005;
            worstErf = Math.max(worstErf, relative(Activations.erf(z), referenceErf(z)));
            double x = -13 + i * (26.0 / 24000);
            worstCdf = Math.max(worstCdf, relative(Activations.normalCdf(x), referenceNormalCdf(x)));
        }
        assertTrue(worstErf < 1e-11, "erf relative error " + worstErf);
        assertTrue(worstCdf < 2e-9, "normal cdf relative error " + worstCdf);
        assertEquals(0.0, Activations.erf(0.0));
        assertEquals(1.0, Activations.erf(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, Activations.erf(Double.NEGATIVE_INFINITY));
        assertTrue(Double.isNaN(Activations.erf(Double.NaN)));
    }

    @Test
    void referenceErfMatchesPublishedValues() {
        assertEquals(0.5204998778130465, referenceErf(0.5), 1e-15);
        assertEquals(0.8427007929497149, referenceErf(1), 1e-15);
        assertEquals(0.004677734981047266, referenceErfc(2), 1e-15 * 0.0047);
        assertEquals(2.209049699858544e-05, referenceErfc(3), 1e-14 * 2.2e-5);
        assertEquals(1.537459794428035e-12, referenceErfc(5), 1e-14 * 1.5e-12);
        assertEquals(2.088487583762545e-45, referenceErfc(10), 1e-14 * 2.1e-45);
    }

    @Test
    void tanhGeluMatchesDoubleReference() {
        float[] x = sweep();
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, x);
            Activations.geluTanh(in.seg(), in.off(), 1, x.length, 1, in.seg(), in.off()); // in place
            double[] expected = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                double v = x[i];
                expected[i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            }
            // Only where 1 + tanh does not cancel in the reference itself (beyond x ≈ −5 it loses every digit).
            float[] actual = in.read(x.length);
            for (int i = 0; i < x.length; i++) {
                if (x[i] < -5) {
                    actual[i] = 0;
                    expected[i] = 0;
                }
            }
            assertClose(expected, null, actual, 1e-6, "tanh GELU");
        }
    }

    /** Inputs across GELU's range: a fine grid over [−12, 12], tiny values and zero. */
    private static float[] sweep() {
        int grid = 24001;
        float[] x = new float[grid + 5];
        for (int i = 0; i < grid; i++) {
            x[i] = (float) (-12 + i * 0.001);
        }
        x[grid] = 0f;
        x[grid + 1] = 1e-20f;
        x[grid + 2] = -1e-20f;
        x[grid + 3] = 3e-8f;
        x[grid + 4] = 100f;
        return x;
    }

    private static double relative(double got, double expected) {
        return expected == 0 ? Math.abs(got) : Math.abs(got - expected) / Math.abs(expected);
    }

    /** Φ(x) = ½·erfc(−x/√2), through erfc in the tail so it stays relatively accurate there. */
    static double referenceNormalCdf(double x) {
        double z = x / Math.sqrt(2);
        return z < 0 ? 0.5 * referenceErfc(-z) : 1 - 0.5 * referenceErfc(z);
    }

    static double referenceErf(double z) {
        return Math.abs(z) < 2 ? taylorErf(z) : Math.signum(z) * (1 - referenceErfc(Math.abs(z)));
    }

    static double referenceErfc(double z) {
        return z < 2 ? 1 - taylorErf(z) : continuedFractionErfc(z);
    }

    /** erf(z) = 2/√π · Σ (−1)^k z^(2k+1) / (k!·(2k+1)), summed until the terms stop mattering. */
    private static double taylorErf(double z) {
        double power = z, sum = 0;
        for (int k = 0; k < 200; k++) {
            double term = power / (2 * k + 1);
            sum += term;
            if (Math.abs(term) < 1e-17 * Math.abs(sum)) {
                break;
            }
            power *= -z * z / (k + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /** erfc(z) = exp(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))), for z ≥ 2, evaluated from 200 levels deep. */
    private static double continuedFractionErfc(double z) {
        double t = z;
        for (int k = 200; k >= 1; k--) {
            t = z + (k / 2.0) / t;
        }
        return Math.exp(-z * z) / Math.sqrt(Math.PI) / t;
    }
}
