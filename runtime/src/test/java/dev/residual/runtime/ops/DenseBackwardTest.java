package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Conv2dBackwardTest.off;
import static dev.residual.runtime.ops.Conv2dBackwardTest.seg;
import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static dev.residual.runtime.ops.GradCheck.assertAccumulated;
import static dev.residual.runtime.ops.GradCheck.assertGradient;
import static dev.residual.runtime.ops.GradCheck.dot;
import static dev.residual.runtime.ops.GradCheck.doubles;
import static dev.residual.runtime.ops.GradCheck.numeric;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Dense backward against finite differences of y = W·x + b written over features-by-samples doubles. */
class DenseBackwardTest {

    private static final Gemm GEMM = Backends.defaultGemm();

    @ParameterizedTest(name = "{0} → {1}, n{2}, bias {3}")
    @CsvSource({"7,5,1,true", "7,5,3,false", "75,10,3,true", "1,3,3,true", "9,1,3,true"})
    void gradientsMatchFiniteDifferences(int inF, int units, int n, boolean withBias) {
        SplittableRandom random = new SplittableRandom(inF * 31L + units + 7L * n);
        float[] x = uniform(random, inF * n, -1, 1);          // inF×n, element (s, f) at f·n + s
        float[] w = uniform(random, units * inF, -1, 1);
        float[] b = uniform(random, units, -1, 1);
        float[] lossWeights = uniform(random, units * n, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, x, (long) inF * MAX_N);
            Buf weight = place(arena, w);
            Buf dOut = place(arena, lossWeights, (long) units * MAX_N);
            Buf dWeight = empty(arena, (long) units * inF), dBias = withBias ? empty(arena, units) : null;
            Buf dIn = empty(arena, (long) inF * MAX_N);
            backward(inF, n, units, in, weight, dOut, dWeight, dBias, dIn, false);

            double[] xd = doubles(x), wd = doubles(w), bd = withBias ? doubles(b) : new double[units];
            double[] lw = doubles(lossWeights);
            GradCheck.Loss loss = () -> dot(lw, reference(xd, wd, bd, inF, units, n));
            float[] inputGradient = dIn.read(inF * n);
            assertGradient(numeric(xd, loss), inputGradient, 1e-4, "dIn");
            assertGradient(numeric(wd, loss), dWeight.read(units * inF), 1e-4, "dWeight");
            if (withBias) {
                assertGradient(numeric(bd, loss), dBias.read(units), 1e-4, "dBias");
                dBias.assertUntouchedBeyond(units, "dBias");
            }
            dIn.assertUntouchedBeyond((long) inF * n, "dIn");
            dWeight.assertUntouchedBeyond((long) units * inF, "dWeight");
            assertArrayEquals(x, in.read(inF * n), "in");
            assertArrayEquals(lossWeights, dOut.read(units * n), "dOut");

            float[] prior = uniform(random, inF * n, -2, 2);
            Buf sum = place(arena, prior, (long) inF * MAX_N);
            backward(inF, n, units, in, weight, dOut, null, null, sum, true);
            assertAccumulated(prior, inputGradient, sum.read(inF * n), 1e-5, "accumulated dIn");
            sum.assertUntouchedBeyond((long) inF * n, "accumulated dIn");

            // Without dIn the parameter gradients are unchanged.
            Buf dWeight2 = empty(arena, (long) units * inF), dBias2 = withBias ? empty(arena, units) : null;
            backward(inF, n, units, in, weight, dOut, dWeight2, dBias2, null, false);
            assertArrayEquals(dWeight.read(units * inF), dWeight2.read(units * inF), "dWeight without dIn");
        }
    }

    private static void backward(int inF, int n, int units, Buf in, Buf weight, Buf dOut, Buf dWeight, Buf dBias,
                                 Buf dIn, boolean accumulate) {
        Dense.backward(GEMM, in.seg(), in.off(), inF, n, weight.seg(), weight.off(), units, dOut.seg(), dOut.off(),
                seg(dWeight), off(dWeight), seg(dBias), off(dBias), seg(dIn), off(dIn), accumulate);
    }

    /** y[u, s] = b[u] + Σ_f W[u, f]·x[f, s], both features-by-samples. */
    private static double[] reference(double[] x, double[] w, double[] b, int inF, int units, int n) {
        double[] y = new double[units * n];
        for (int u = 0; u < units; u++) {
            for (int s = 0; s < n; s++) {
                double sum = b[u];
                for (int f = 0; f < inF; f++) {
                    sum += w[u * inF + f] * x[f * n + s];
                }
                y[u * n + s] = sum;
            }
        }
        return y;
    }
}
