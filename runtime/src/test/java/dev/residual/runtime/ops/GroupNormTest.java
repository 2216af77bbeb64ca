package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.assertClose;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.toChannelMajor;
import static dev.residual.runtime.ops.Fixtures.toNchw;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Group norm against an NCHW double loop. */
class GroupNormTest {

    @ParameterizedTest(name = "C{0} hw{1} G{2} n{3} save stats {4} in place {5}")
    @CsvSource({"6,9,3,3,true,false", "6,49,2,1,false,false", "3,81,1,3,true,true", "4,25,4,3,true,false",
            "6,1,2,3,true,false", "8,7,4,1,false,true"})
    void matchesReference(int C, int hw, int G, int n, boolean saveStats, boolean inPlace) {
        SplittableRandom random = new SplittableRandom(C * 100L + hw + 7L * n + 1000L * G);
        int count = n * C * hw, perGroup = C / G;
        float[] x = uniform(random, count, -2, 4);
        float[] gamma = uniform(random, C, -1.5, 1.5), beta = uniform(random, C, -1, 1);
        float eps = 1e-5f;
        try (Arena arena = Arena.ofConfined()) {
            long capacity = (long) MAX_N * C * hw;
            Buf in = place(arena, toChannelMajor(x, n, C, hw), capacity);
            Buf out = inPlace ? in : empty(arena, capacity);
            Buf g = place(arena, gamma), b = place(arena, beta);
            Buf mean = saveStats ? empty(arena, MAX_N * G) : null, rstd = saveStats ? empty(arena, MAX_N * G) : null;

            GroupNorm.forward(in.seg(), in.off(), C, hw, n, G, g.seg(), g.off(), b.seg(), b.off(), eps,
                    out.seg(), out.off(), mean == null ? null : mean.seg(), mean == null ? 0 : mean.off(),
                    rstd == null ? null : rstd.seg(), rstd == null ? 0 : rstd.off());

            double[] expected = new double[count], magnitude = new double[count];
            double[] means = new double[n * G], rstds = new double[n * G];
            int groupSize = perGroup * hw;
            for (int s = 0; s < n; s++) {
                for (int grp = 0; grp < G; grp++) {
                    // In NCHW a group of one sample is contiguous.
                    int start = (s * C + grp * perGroup) * hw;
                    double sum = 0;
                    for (int i = start; i < start + groupSize; i++) {
                        sum += x[i];
                    }
                    double mu = sum / groupSize, squares = 0;
                    for (int i = start; i < start + groupSize; i++) {
                        squares += (x[i] - mu) * (x[i] - mu);
                    }
                    double r = 1 / Math.sqrt(squares / groupSize + eps);
                    means[s * G + grp] = mu;
                    rstds[s * G + grp] = r;
                    for (int i = start; i < start + groupSize; i++) {
                        int c = grp * perGroup + (i - start) / hw;
                        double normalized = (x[i] - mu) * r * gamma[c];
                        expected[i] = normalized + beta[c];
                        magnitude[i] = Math.abs(normalized) + Math.abs(beta[c]);
                    }
                }
            }
            assertClose(expected, magnitude, toNchw(out.read(count), n, C, hw), 1e-5, "group norm");
            if (!inPlace) {
                out.assertUntouchedBeyond(count, "group norm output");
            }
            if (saveStats) {
                assertClose(means, null, mean.read(n * G), 1e-6, "saved mean");
                assertClose(rstds, null, rstd.read(n * G), 1e-6, "saved rstd");
                mean.assertUntouchedBeyond(n * G, "saved mean");
            }
        }
    }

    @Test
    void rejectsGroupsThatDoNotDivideTheChannels() {
        MemorySegment any = MemorySegment.ofArray(new float[64]);
        assertThrows(IllegalArgumentException.class, () -> GroupNorm.forward(any, 0, 6, 1, 1, 4, any, 0, any, 0,
                1e-5f, any, 0, null, 0, null, 0));
    }
}
