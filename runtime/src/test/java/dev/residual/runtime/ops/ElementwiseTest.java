package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.abs;
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

/** The fused element-wise epilogues against NCHW double loops. */
class ElementwiseTest {

    @ParameterizedTest(name = "C{0} hw{1} n{2} relu {3} in place {4}")
    @CsvSource({"3,49,1,false,false", "3,49,3,true,false", "5,1,3,true,true", "4,9,3,false,true"})
    void addRelu(int C, int hw, int n, boolean relu, boolean inPlace) {
        SplittableRandom random = new SplittableRandom(C + 10L * hw + 100L * n);
        int count = n * C * hw;
        float[] a = uniform(random, count, -2, 2), b = uniform(random, count, -2, 2);
        try (Arena arena = Arena.ofConfined()) {
            long capacity = (long) MAX_N * C * hw;
            Buf x = place(arena, toChannelMajor(a, n, C, hw), capacity);
            Buf y = place(arena, toChannelMajor(b, n, C, hw), capacity);
            Buf out = inPlace ? y : empty(arena, capacity);
            Elementwise.addRelu(x.seg(), x.off(), y.seg(), y.off(), C, hw, n, relu, out.seg(), out.off());
            double[] expected = new double[count], magnitude = new double[count];
            for (int i = 0; i < count; i++) {
                double sum = (double) a[i] + b[i];
                expected[i] = relu ? Math.max(sum, 0) : sum;
                magnitude[i] = Math.abs(a[i]) + Math.abs(b[i]);
            }
            assertClose(expected, magnitude, toNchw(out.read(count), n, C, hw), 1e-6, "add");
            if (!inPlace) {
                out.assertUntouchedBeyond(count, "add output");
            }
        }
    }

    @ParameterizedTest(name = "C{0} hw{1} n{2} bias {3} residual {4} relu {5}")
    @CsvSource({"3,49,1,true,false,false", "3,49,3,true,true,true", "5,1,3,true,false,true",
            "4,9,3,false,true,true", "4,9,1,false,false,true", "2,25,3,true,true,false"})
    void biasAddRelu(int C, int hw, int n, boolean withBias, boolean withResidual, boolean relu) {
        SplittableRandom random = new SplittableRandom(C + 10L * hw + 100L * n + (withBias ? 7 : 0));
        int count = n * C * hw;
        float[] x = uniform(random, count, -2, 2), r = uniform(random, count, -2, 2);
        float[] bias = uniform(random, C, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            long capacity = (long) MAX_N * C * hw;
            Buf in = place(arena, toChannelMajor(x, n, C, hw), capacity);
            Buf residual = withResidual ? place(arena, toChannelMajor(r, n, C, hw), capacity) : null;
            Buf b = withBias ? place(arena, bias) : null;
            Buf out = empty(arena, capacity);
            Elementwise.biasAddRelu(in.seg(), in.off(), C, hw, n, b == null ? null : b.seg(), b == null ? 0 : b.off(),
                    residual == null ? null : residual.seg(), residual == null ? 0 : residual.off(), relu,
                    out.seg(), out.off());
            double[] expected = new double[count];
            for (int s = 0; s < n; s++) {
                for (int c = 0; c < C; c++) {
                    for (int p = 0; p < hw; p++) {
                        int i = (s * C + c) * hw + p;
                        double y = x[i] + (withBias ? bias[c] : 0) + (withResidual ? r[i] : 0);
                        expected[i] = relu ? Math.max(y, 0) : y;
                    }
                }
            }
            double[] magnitude = abs(expected);
            for (int i = 0; i < count; i++) {
                magnitude[i] = Math.abs(x[i]) + 1 + Math.abs(r[i]); // bound on the summands' sizes
            }
            assertClose(expected, magnitude, toNchw(out.read(count), n, C, hw), 1e-6, "bias add");
            out.assertUntouchedBeyond(count, "bias add output");
        }
    }
}
