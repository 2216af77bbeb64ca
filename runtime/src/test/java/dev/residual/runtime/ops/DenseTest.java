package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.assertClose;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.uniform;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The dense layer against PyTorch's Linear written out: y[s] = W·x[s] + b, with samples as rows. */
class DenseTest {

    private static final Gemm GEMM = Backends.defaultGemm();

    @ParameterizedTest(name = "{0} → {1}, n{2}, bias {3}")
    @CsvSource({"7,5,1,true", "7,5,3,false", "75,10,3,true", "1,3,3,true", "64,10,1,false"})
    void matchesLinear(int inF, int units, int n, boolean withBias) {
        SplittableRandom random = new SplittableRandom(inF * 100L + units + n);
        float[] x = uniform(random, n * inF, -1, 1);          // n×inF, sample-major as PyTorch holds it
        float[] w = uniform(random, units * inF, -1, 1);
        float[] b = uniform(random, units, -1, 1);
        float[] features = new float[inF * n];                // inF×n, what the kernel reads
        for (int s = 0; s < n; s++) {
            for (int f = 0; f < inF; f++) {
                features[f * n + s] = x[s * inF + f];
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, features, (long) inF * MAX_N);
            Buf weight = place(arena, w), bias = withBias ? place(arena, b) : null;
            Buf out = empty(arena, (long) units * MAX_N);
            Dense.forward(GEMM, in.seg(), in.off(), inF, n, weight.seg(), weight.off(), units,
                    bias == null ? null : bias.seg(), bias == null ? 0 : bias.off(), out.seg(), out.off());
            double[] expected = new double[units * n], magnitude = new double[units * n];
            for (int s = 0; s < n; s++) {
                for (int u = 0; u < units; u++) {
                    double sum = withBias ? b[u] : 0, size = Math.abs(sum);
                    for (int f = 0; f < inF; f++) {
                        double term = (double) w[u * inF + f] * x[s * inF + f];
                        sum += term;
                        size += Math.abs(term);
                    }
                    expected[u * n + s] = sum;
                    magnitude[u * n + s] = size;
                }
            }
            assertClose(expected, magnitude, out.read(units * n), 1e-5, "dense");
            out.assertUntouchedBeyond((long) units * n, "dense output");
        }
    }
}
