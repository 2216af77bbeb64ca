package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.assertClose;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.toChannelMajor;
import static dev.residual.runtime.ops.Fixtures.toNchw;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.util.Arrays;
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

    /** The row sweep ({@code hw = 1}) sums floats: a mean 300 times the spread must not cost it the output's digits. */
    @ParameterizedTest(name = "C{0} n{1}")
    @CsvSource({"96,5", "33,4"})
    void perPositionStatisticsSurviveALargeMean(int C, int n) {
        SplittableRandom random = new SplittableRandom(C + n);
        float[] x = uniform(random, C * n, 299, 301); // feature-major: row c holds feature c of every position
        float[] ones = new float[C];
        Arrays.fill(ones, 1f);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, x), out = empty(arena, C * n), g = place(arena, ones);
            Buf b = place(arena, new float[C]);
            Buf mean = empty(arena, n), rstd = empty(arena, n);
            LayerNorm.forward(in.seg(), in.off(), C, 1, n, g.seg(), g.off(), b.seg(), b.off(), 1e-5f, out.seg(),
                    out.off(), mean.seg(), mean.off(), rstd.seg(), rstd.off());
            float[] y = out.read(C * n);
            for (int s = 0; s < n; s++) {
                double sum = 0, squares = 0;
                for (int c = 0; c < C; c++) {
                    sum += x[c * n + s];
                }
                for (int c = 0; c < C; c++) {
                    squares += (x[c * n + s] - sum / C) * (x[c * n + s] - sum / C);
                }
                double r = 1 / Math.sqrt(squares / C + 1e-5);
                for (int c = 0; c < C; c++) {
                    // float inputs near 300 carry 2⁻²⁴·300 of rounding: 3e-5 of the spread after normalizing
                    assertEquals((x[c * n + s] - sum / C) * r, y[c * n + s], 1e-4,
                            "position " + s + " feature " + c);
                }
            }
        }
    }

    /** The backward's row sweep (given scratch) against its per-sample form, written, added and in place. */
    @ParameterizedTest(name = "C{0} n{1} accumulate {2} in place {3}")
    @CsvSource({"7,5,false,false", "7,5,true,false", "40,3,false,true", "128,4,true,false"})
    void rowSweepBackwardAgreesWithThePerSampleOne(int C, int n, boolean accumulate, boolean inPlace) {
        SplittableRandom random = new SplittableRandom(C * 31L + n);
        int count = C * n;
        float[] x = uniform(random, count, -2, 4), gamma = uniform(random, C, -1.5, 1.5);
        float[] dy = uniform(random, count, -1, 1), prior = uniform(random, count, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, x), g = place(arena, gamma), beta = place(arena, new float[C]);
            Buf mean = empty(arena, n), rstd = empty(arena, n), out = empty(arena, count);
            LayerNorm.forward(in.seg(), in.off(), C, 1, n, g.seg(), g.off(), beta.seg(), beta.off(), 1e-5f, out.seg(),
                    out.off(), mean.seg(), mean.off(), rstd.seg(), rstd.off());
            float[][] results = new float[2][];
            for (int sweep = 0; sweep < 2; sweep++) {
                Buf dOut = place(arena, dy), dGamma = empty(arena, C), dBeta = empty(arena, C);
                Buf dIn = inPlace ? dOut : place(arena, accumulate ? prior : new float[count]);
                Buf scratch = sweep == 1 ? empty(arena, LayerNorm.backwardScratchFloats(1, n)) : null;
                LayerNorm.backward(in.seg(), in.off(), C, 1, n, g.seg(), g.off(), mean.seg(), mean.off(), rstd.seg(),
                        rstd.off(), dOut.seg(), dOut.off(), dGamma.seg(), dGamma.off(), dBeta.seg(), dBeta.off(),
                        dIn.seg(), dIn.off(), accumulate, scratch == null ? null : scratch.seg(),
                        scratch == null ? 0 : scratch.off());
                results[sweep] = dIn.read(count);
                if (scratch != null) {
                    scratch.assertUntouchedBeyond(2L * n, "scratch");
                }
            }
            double[] perSample = new double[count], magnitude = new double[count];
            for (int i = 0; i < count; i++) {
                perSample[i] = results[0][i];
                magnitude[i] = Math.abs(results[0][i]) + 1;
            }
            assertClose(perSample, magnitude, results[1], 1e-5, "dIn by rows");
        }
    }
}
