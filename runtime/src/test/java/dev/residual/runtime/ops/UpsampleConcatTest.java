package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.toChannelMajor;
import static dev.residual.runtime.ops.Fixtures.toNchw;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static dev.residual.runtime.ops.GradCheck.assertGradient;
import static dev.residual.runtime.ops.GradCheck.doubles;
import static dev.residual.runtime.ops.GradCheck.dot;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The U-Net's parameter-free ops: nearest upsampling and channel concatenation, forward exact, backward by FD. */
class UpsampleConcatTest {

    @ParameterizedTest(name = "C{0} {1}×{2} scale {3} n{4}")
    @CsvSource({"2, 3, 4, 2, 3", "1, 2, 2, 3, 1", "3, 1, 5, 1, 2"})
    void upsampleCopiesEachPixelToASquareAndSumsItsGradient(int C, int H, int W, int scale, int n) {
        SplittableRandom random = new SplittableRandom(C * 17L + H * 5L + scale);
        int Ho = H * scale, Wo = W * scale, inCount = n * C * H * W, outCount = n * C * Ho * Wo;
        float[] x = uniform(random, inCount, -1, 1), lossWeights = uniform(random, outCount, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Buf in = place(arena, toChannelMajor(x, n, C, H * W), (long) MAX_N * C * H * W);
            Buf out = empty(arena, (long) MAX_N * C * Ho * Wo);
            Upsample.nearest(in.seg(), in.off(), C, H, W, n, scale, out.seg(), out.off());
            float[] expected = new float[outCount];
            for (int i = 0; i < outCount; i++) {
                int ox = i % Wo, oy = i / Wo % Ho, image = i / (Ho * Wo);
                expected[i] = x[(image * H + oy / scale) * W + ox / scale];
            }
            assertArrayEquals(expected, toNchw(out.read(outCount), n, C, Ho * Wo), "forward");
            out.assertUntouchedBeyond(outCount, "forward");

            Buf dOut = place(arena, toChannelMajor(lossWeights, n, C, Ho * Wo));
            Buf dIn = empty(arena, (long) MAX_N * C * H * W);
            Upsample.nearestBackward(dOut.seg(), dOut.off(), C, H, W, n, scale, dIn.seg(), dIn.off(), false);
            double[] xd = doubles(x), lw = doubles(lossWeights);
            GradCheck.Loss loss = () -> {
                double sum = 0;
                for (int i = 0; i < outCount; i++) {
                    int ox = i % Wo, oy = i / Wo % Ho, image = i / (Ho * Wo);
                    sum += lw[i] * xd[(image * H + oy / scale) * W + ox / scale];
                }
                return sum;
            };
            assertGradient(GradCheck.numeric(xd, loss), toNchw(dIn.read(inCount), n, C, H * W), 1e-5, "dIn");
            dIn.assertUntouchedBeyond(inCount, "dIn");
        }
    }

    @ParameterizedTest(name = "Ca{0} Cb{1} hw{2} n{3}")
    @CsvSource({"2, 3, 6, 3", "1, 1, 4, 1", "4, 2, 1, 2"})
    void concatStacksChannelsAndSplitsTheGradient(int Ca, int Cb, int hw, int n) {
        SplittableRandom random = new SplittableRandom(Ca * 13L + Cb * 7L + hw);
        float[] a = uniform(random, n * Ca * hw, -1, 1), b = uniform(random, n * Cb * hw, -1, 1);
        int C = Ca + Cb, outCount = n * C * hw;
        float[] lossWeights = uniform(random, outCount, -1, 1);
        float[] previousB = uniform(random, n * Cb * hw, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Buf aBuf = place(arena, toChannelMajor(a, n, Ca, hw)), bBuf = place(arena, toChannelMajor(b, n, Cb, hw));
            Buf out = empty(arena, (long) MAX_N * C * hw);
            Concat.forward(aBuf.seg(), aBuf.off(), Ca, bBuf.seg(), bBuf.off(), Cb, hw, n, out.seg(), out.off());
            float[] expected = new float[outCount];
            for (int s = 0; s < n; s++) {
                System.arraycopy(a, s * Ca * hw, expected, s * C * hw, Ca * hw);
                System.arraycopy(b, s * Cb * hw, expected, (s * C + Ca) * hw, Cb * hw);
            }
            assertArrayEquals(expected, toNchw(out.read(outCount), n, C, hw), "forward: torch.cat(dim=1)");
            out.assertUntouchedBeyond(outCount, "forward");

            Buf dOut = place(arena, toChannelMajor(lossWeights, n, C, hw));
            Buf dA = empty(arena, (long) n * Ca * hw), dB = place(arena, toChannelMajor(previousB, n, Cb, hw));
            Concat.backward(dOut.seg(), dOut.off(), Ca, Cb, hw, n, dA.seg(), dA.off(), false, dB.seg(), dB.off(),
                    true);
            float[] gradA = toNchw(dA.read(n * Ca * hw), n, Ca, hw), gradB = toNchw(dB.read(n * Cb * hw), n, Cb, hw);
            for (int s = 0; s < n; s++) {
                for (int i = 0; i < Ca * hw; i++) {
                    assertArrayEquals(new float[] {lossWeights[s * C * hw + i]}, new float[] {gradA[s * Ca * hw + i]});
                }
                for (int i = 0; i < Cb * hw; i++) {
                    float want = previousB[s * Cb * hw + i] + lossWeights[(s * C + Ca) * hw + i];
                    assertArrayEquals(new float[] {want}, new float[] {gradB[s * Cb * hw + i]}, "accumulated");
                }
            }
            double[] ad = doubles(a), lw = doubles(lossWeights);
            GradCheck.Loss loss = () -> {
                double sum = 0;
                for (int s = 0; s < n; s++) {
                    for (int i = 0; i < Ca * hw; i++) {
                        sum += lw[s * C * hw + i] * ad[s * Ca * hw + i];
                    }
                }
                return sum;
            };
            assertGradient(GradCheck.numeric(ad, loss), gradA, 1e-6, "dA by finite differences");
        }
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Upsample.nearest(null, 0, 1, 2, 2, 1, 0, null, 0));
        assertThrows(IllegalArgumentException.class, () -> Concat.forward(null, 0, 0, null, 0, 1, 1, 1, null, 0));
    }
}
