package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.assertClose;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.toChannelMajor;
import static dev.residual.runtime.ops.Fixtures.toNchw;
import static dev.residual.runtime.ops.Fixtures.uniform;

import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Layer norm over each sample's C·H·W features (or F for vectors) against an NCHW double loop. */
class LayerNormTest {

    @ParameterizedTest(name = "C{0} hw{1} n{2} save stats {3} in place {4}")
    @CsvSource({"3,49,1,true,false", "3,49,3,false,false", "4,81,3,true,true", "7,1,3,true,false",
            "7,1,1,false,true", "16,9,3,true,false"})
    void matchesReference(int C, int hw, int n, boolean saveStats, boolean inPlace) {
        SplittableRandom random = new SplittableRandom(C * 100L + hw + 7L * n);
        int features = C * hw, count = n * features;
        float[] x = uniform(random, count, -2, 4); // not centred, so the mean matters
        float[] gamma = uniform(random, features, -1.5, 1.5), beta = uniform(random, features, -1, 1);
        float eps = 1e-5f;
        try (Arena arena = Arena.ofConfined()) {
            long capacity = (long) MAX_N * features;
            Buf in = place(arena, toChannelMajor(x, n, C, hw), capacity);
            Buf out = inPlace ? in : empty(arena, capacity);
            Buf g = place(arena, gamma), b = place(arena, beta);
            Buf mean = saveStats ? empty(arena, MAX_N) : null, rstd = saveStats ? empty(arena, MAX_N) : null;

            LayerNorm.forward(in.seg(), in.off(), C, hw, n, g.seg(), g.off(), b.seg(), b.off(), eps,
                    out.seg(), out.off(), mean == null ? null : mean.seg(), mean == null ? 0 : mean.off(),
                    rstd == null ? null : rstd.seg(), rstd == null ? 0 : rstd.off());

            double[] expected = new double[count], magnitude = new double[count];
            double[] means = new double[n], rstds = new double[n];
            for (int s = 0; s < n; s++) {
                double sum = 0;
                for (int f = 0; f < features; f++) {
                    sum += x[s * features + f];
                }
                means[s] = sum / features;
                double squares = 0;
                for (int f = 0; f < features; f++) {
                    double d = x[s * features + f] - means[s];
                    squares += d * d;
                }
                rstds[s] = 1 / Math.sqrt(squares / features + eps);
                for (int f = 0; f < features; f++) {
                    double normalized = (x[s * features + f] - means[s]) * rstds[s] * gamma[f];
                    expected[s * features + f] = normalized + beta[f];
                    magnitude[s * features + f] = Math.abs(normalized) + Math.abs(beta[f]);
                }
            }
            assertClose(expected, magnitude, toNchw(out.read(count), n, C, hw), 1e-5, "layer norm");
            if (!inPlace) {
                out.assertUntouchedBeyond(count, "layer norm output");
            }
            if (saveStats) {
                assertClose(means, null, mean.read(n), 1e-6, "saved mean");
                assertClose(rstds, null, rstd.read(n), 1e-6, "saved rstd");
                mean.assertUntouchedBeyond(n, "saved mean");
                rstd.assertUntouchedBeyond(n, "saved rstd");
            }
        }
    }
}
