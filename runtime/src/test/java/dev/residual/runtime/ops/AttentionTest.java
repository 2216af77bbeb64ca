package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static dev.residual.runtime.ops.GradCheck.assertAccumulated;
import static dev.residual.runtime.ops.GradCheck.assertGradient;
import static dev.residual.runtime.ops.GradCheck.dot;
import static dev.residual.runtime.ops.GradCheck.doubles;
import static dev.residual.runtime.ops.GradCheck.numeric;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Attention forward against a double-precision reference, backward against its finite differences. */
class AttentionTest {

    private static final Gemm GEMM = Backends.defaultGemm();

    @ParameterizedTest(name = "D{0} H{1} T{2} n{3} causal {4}")
    @CsvSource({"4,1,3,1,false", "4,2,5,2,true", "6,3,4,2,false", "8,2,7,3,true"})
    void forwardAndGradientsMatchTheReference(int D, int H, int T, int n, boolean causal) {
        SplittableRandom random = new SplittableRandom(D * 131L + H * 17L + T * 7L + n);
        int size = 3 * D * n * T, outSize = D * n * T;
        float[] qkv = uniform(random, size, -1.5, 1.5);
        float[] lossWeights = uniform(random, outSize, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, qkv), out = empty(arena, outSize);
            Buf scratch = empty(arena, Attention.scratchFloats(T));
            Attention.forward(GEMM, in.seg(), in.off(), D, H, T, n, causal, scratch.seg(), scratch.off(), out.seg(),
                    out.off());
            double[] expected = reference(doubles(qkv), D, H, T, n, causal);
            float[] actual = out.read(outSize);
            for (int i = 0; i < outSize; i++) {
                assertEquals(expected[i], actual[i], 1e-5 * (1 + Math.abs(expected[i])), "output " + i);
            }
            out.assertUntouchedBeyond(outSize, "output");

            Buf dOut = place(arena, lossWeights), dQkv = empty(arena, size);
            Attention.backward(GEMM, in.seg(), in.off(), D, H, T, n, causal, dOut.seg(), dOut.off(), scratch.seg(),
                    scratch.off(), dQkv.seg(), dQkv.off(), false);
            double[] x = doubles(qkv), w = doubles(lossWeights);
            float[] gradient = dQkv.read(size);
            assertGradient(numeric(x, () -> dot(w, reference(x, D, H, T, n, causal))), gradient, 1e-3, "dQkv");
            dQkv.assertUntouchedBeyond(size, "dQkv");

            float[] prior = uniform(random, size, -1, 1);
            Buf sum = place(arena, prior);
            Attention.backward(GEMM, in.seg(), in.off(), D, H, T, n, causal, dOut.seg(), dOut.off(), scratch.seg(),
                    scratch.off(), sum.seg(), sum.off(), true);
            assertAccumulated(prior, gradient, sum.read(size), 1e-5, "accumulated dQkv");
        }
    }

    @ParameterizedTest(name = "causal {0}")
    @CsvSource({"false", "true"})
    void aKeyBiasChangesNothingSoItsGradientIsClearedToExactlyZero(boolean causal) {
        int D = 6, H = 3, T = 5, n = 2, ld = n * T;
        SplittableRandom random = new SplittableRandom(causal ? 5 : 6);
        double[] qkv = doubles(uniform(random, 3 * D * ld, -1.5, 1.5)), shifted = qkv.clone();
        for (int f = 0; f < D; f++) {
            double bias = random.nextDouble(-2, 2); // one key feature, the same at every position
            for (int column = 0; column < ld; column++) {
                shifted[(D + f) * ld + column] += bias;
            }
        }
        double[] before = reference(qkv, D, H, T, n, causal), after = reference(shifted, D, H, T, n, causal);
        for (int i = 0; i < before.length; i++) {
            assertEquals(before[i], after[i], 1e-12, "output " + i);
        }

        float[] gradient = uniform(random, 3 * D, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Buf dBias = place(arena, gradient);
            Attention.clearKeyBiasGradient(dBias.seg(), dBias.off(), D);
            float[] cleared = dBias.read(3 * D);
            for (int i = 0; i < 3 * D; i++) {
                assertEquals(i >= D && i < 2 * D ? 0f : gradient[i], cleared[i], "bias gradient " + i);
            }
            dBias.assertUntouchedBeyond(3 * D, "dBias");
        }
    }

    @Test
    void headsThatDoNotDivideTheFeaturesAreRejected() {
        try (Arena arena = Arena.ofConfined()) {
            Buf buf = empty(arena, 64);
            var error = assertThrows(IllegalArgumentException.class, () -> Attention.forward(GEMM, buf.seg(), 0, 6, 4,
                    2, 1, false, buf.seg(), 0, buf.seg(), 0));
            assertEquals("4 heads do not divide 6 features", error.getMessage());
        }
    }

    /** Per sequence and head: softmax(q·kᵀ/√dh)·v over positions, on the feature-major {@code 3D×(n·T)} layout. */
    static double[] reference(double[] qkv, int D, int H, int T, int n, boolean causal) {
        int dh = D / H, ld = n * T;
        double[] out = new double[D * ld];
        for (int s = 0; s < n; s++) {
            for (int h = 0; h < H; h++) {
                for (int i = 0; i < T; i++) {
                    int visible = causal ? i + 1 : T;
                    double[] p = new double[visible];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < visible; j++) {
                        double score = 0;
                        for (int d = 0; d < dh; d++) {
                            score += qkv[(h * dh + d) * ld + s * T + i] * qkv[(D + h * dh + d) * ld + s * T + j];
                        }
                        p[j] = score / Math.sqrt(dh);
                        max = Math.max(max, p[j]);
                    }
                    for (int j = 0; j < visible; j++) {
                        p[j] = Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    for (int d = 0; d < dh; d++) {
                        double value = 0;
                        for (int j = 0; j < visible; j++) {
                            value += p[j] / sum * qkv[(2 * D + h * dh + d) * ld + s * T + j];
                        }
                        out[(h * dh + d) * ld + s * T + i] = value;
                    }
                }
            }
        }
        return out;
    }
}
