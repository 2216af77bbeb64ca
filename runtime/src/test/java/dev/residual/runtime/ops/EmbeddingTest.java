package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
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
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Token and positional embeddings: lookups, and their gradients against finite differences. */
class EmbeddingTest {

    @Test
    void tokensLookUpTheirRowsAndGradientsSumPerToken() {
        int V = 5, D = 3;
        float[] ids = {4, 0, 4, 2};                      // token 4 twice, tokens 1 and 3 never
        float[] table = uniform(new SplittableRandom(1), V * D, -1, 1);
        float[] lossWeights = uniform(new SplittableRandom(2), D * ids.length, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, ids), weight = place(arena, table), out = empty(arena, D * ids.length);
            Embedding.forward(in.seg(), in.off(), ids.length, weight.seg(), weight.off(), V, D, out.seg(), out.off());
            for (int p = 0; p < ids.length; p++) {
                for (int d = 0; d < D; d++) {
                    assertEquals(table[(int) ids[p] * D + d], out.get((long) d * ids.length + p), "p" + p + " d" + d);
                }
            }
            Buf dOut = place(arena, lossWeights), dTable = place(arena, uniform(new SplittableRandom(3), V * D, 5, 6));
            Embedding.backward(in.seg(), in.off(), ids.length, V, D, dOut.seg(), dOut.off(), dTable.seg(),
                    dTable.off());
            double[] t = doubles(table), w = doubles(lossWeights);
            GradCheck.Loss loss = () -> {
                double sum = 0;
                for (int p = 0; p < ids.length; p++) {
                    for (int d = 0; d < D; d++) {
                        sum += w[d * ids.length + p] * t[(int) ids[p] * D + d];
                    }
                }
                return sum;
            };
            assertGradient(numeric(t, loss), dTable.read(V * D), 1e-6, "dTable");
            dTable.assertUntouchedBeyond(V * D, "dTable");
        }
    }

    @ParameterizedTest
    @ValueSource(floats = {-1f, 5f, 1.5f, Float.NaN})
    void idsOutsideTheVocabularyAreRejected(float id) {
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, new float[] {1, id}), weight = empty(arena, 15), out = empty(arena, 6);
            var error = assertThrows(IllegalArgumentException.class, () -> Embedding.forward(in.seg(), in.off(), 2,
                    weight.seg(), weight.off(), 5, 3, out.seg(), out.off()));
            assertEquals("token id " + id + " at position 1 is not a whole number in [0, 5)", error.getMessage());
        }
    }

    @Test
    void positionsAddTheirRowAndGradientsMatchFiniteDifferences() {
        int D = 3, T = 4, n = 2, size = D * n * T;
        SplittableRandom random = new SplittableRandom(7);
        float[] x = uniform(random, size, -1, 1), table = uniform(random, T * D, -1, 1);
        float[] lossWeights = uniform(random, size, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, x), weight = place(arena, table), out = empty(arena, size);
            PositionalEmbedding.forward(in.seg(), in.off(), D, T, n, weight.seg(), weight.off(), out.seg(),
                    out.off());
            double[] xd = doubles(x), td = doubles(table), w = doubles(lossWeights);
            double[] expected = reference(xd, td, D, T, n);
            for (int i = 0; i < size; i++) {
                assertEquals(expected[i], out.get(i), 1e-6, "output " + i);
            }
            Buf dOut = place(arena, lossWeights), dTable = empty(arena, T * D), dIn = empty(arena, size);
            PositionalEmbedding.backward(dOut.seg(), dOut.off(), D, T, n, dTable.seg(), dTable.off(), dIn.seg(),
                    dIn.off(), false);
            GradCheck.Loss loss = () -> dot(w, reference(xd, td, D, T, n));
            assertGradient(numeric(td, loss), dTable.read(T * D), 1e-6, "dTable");
            assertGradient(numeric(xd, loss), dIn.read(size), 1e-6, "dIn");
            float[] prior = uniform(random, size, -1, 1);
            Buf sum = place(arena, prior);
            PositionalEmbedding.backward(dOut.seg(), dOut.off(), D, T, n, dTable.seg(), dTable.off(), sum.seg(),
                    sum.off(), true);
            assertAccumulated(prior, lossWeights, sum.read(size), 0, "accumulated dIn");
            assertArrayEquals(lossWeights, dOut.read(size), "dOut");
        }
    }

    private static double[] reference(double[] x, double[] table, int D, int T, int n) {
        double[] y = new double[x.length];
        for (int d = 0; d < D; d++) {
            for (int c = 0; c < n * T; c++) {
                y[d * n * T + c] = x[d * n * T + c] + table[(c % T) * D + d];
            }
        }
        return y;
    }
}
