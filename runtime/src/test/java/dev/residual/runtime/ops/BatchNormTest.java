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
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Inference batch norm with its fused residual add and ReLU, against an NCHW double loop. */
class BatchNormTest {

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> cases = Stream.builder();
        int[][] shapes = {{3, 49}, {5, 81}, {7, 1}}; // C, hw (hw = 1: BatchNorm1d on vectors)
        for (int[] shape : shapes) {
            for (int n : new int[] {1, 3}) {
                for (boolean residual : new boolean[] {false, true}) {
                    for (boolean relu : new boolean[] {false, true}) {
                        for (boolean inPlace : new boolean[] {false, true}) {
                            cases.add(Arguments.of(shape[0], shape[1], n, residual, relu, inPlace));
                        }
                    }
                }
            }
        }
        return cases.build();
    }

    @ParameterizedTest(name = "C{0} hw{1} n{2} residual {3} relu {4} in place {5}")
    @MethodSource("cases")
    void matchesReference(int C, int hw, int n, boolean withResidual, boolean relu, boolean inPlace) {
        SplittableRandom random = new SplittableRandom(C * 1000L + hw * 10L + n);
        int count = n * C * hw;
        float[] x = uniform(random, count, -3, 3);       // NCHW
        float[] r = uniform(random, count, -2, 2);       // NCHW
        float[] gamma = uniform(random, C, -1.5, 1.5);
        float[] beta = uniform(random, C, -1, 1);
        float[] mean = uniform(random, C, -1, 1);
        float[] var = uniform(random, C, 0.05, 3);
        float eps = 1e-5f;
        try (Arena arena = Arena.ofConfined()) {
            long capacity = (long) MAX_N * C * hw;
            Buf in = place(arena, toChannelMajor(x, n, C, hw), capacity);
            Buf residual = withResidual ? place(arena, toChannelMajor(r, n, C, hw), capacity) : null;
            Buf out = inPlace ? in : empty(arena, capacity);
            Buf g = place(arena, gamma), b = place(arena, beta), m = place(arena, mean), v = place(arena, var);

            BatchNorm.inference(in.seg(), in.off(), C, hw, n, g.seg(), g.off(), b.seg(), b.off(), m.seg(), m.off(),
                    v.seg(), v.off(), eps, residual == null ? null : residual.seg(),
                    residual == null ? 0 : residual.off(), relu, out.seg(), out.off());

            double[] expected = new double[count], magnitude = new double[count];
            for (int s = 0; s < n; s++) {
                for (int c = 0; c < C; c++) {
                    for (int p = 0; p < hw; p++) {
                        int i = (s * C + c) * hw + p;
                        double normalized = (x[i] - (double) mean[c]) * gamma[c] / Math.sqrt((double) var[c] + eps);
                        double y = normalized + beta[c] + (withResidual ? r[i] : 0);
                        expected[i] = relu ? Math.max(y, 0) : y;
                        magnitude[i] = Math.abs(normalized) + Math.abs(beta[c]) + (withResidual ? Math.abs(r[i]) : 0);
                    }
                }
            }
            assertClose(expected, magnitude, toNchw(out.read(count), n, C, hw), 1e-5, "batch norm");
            if (!inPlace) {
                out.assertUntouchedBeyond(count, "batch norm output");
            }
        }
    }
}
