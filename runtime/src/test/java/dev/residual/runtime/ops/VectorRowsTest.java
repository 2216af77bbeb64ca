package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The normalizations' vectorized rows and sums give the scalar loops' results bit for bit, over lengths around the
 * vector width, every variant, offsets that are not vector-aligned, and in place.
 */
class VectorRowsTest {

    @Test
    void theNormalizationsUseThem() {
        assertTrue(BatchNorm.VECTOR_ROWS, "run the tests with --add-modules jdk.incubator.vector");
    }

    @ParameterizedTest(name = "length {0}")
    @ValueSource(ints = {0, 1, 7, 8, 9, 23, 784})
    void normalizeIsTheScalarLoop(int length) {
        SplittableRandom random = new SplittableRandom(length);
        float center = 0.3f, scale = 1.7f, shift = -0.2f;
        try (Arena arena = Arena.ofConfined()) {
            for (boolean withResidual : new boolean[] {false, true}) {
                for (boolean relu : new boolean[] {false, true}) {
                    float[] x = values(random, length + 3), r = values(random, length + 5);
                    float[] expected = new float[length];
                    for (int i = 0; i < length; i++) {
                        float v = (x[3 + i] - center) * scale + shift;
                        if (withResidual) {
                            v += r[5 + i];
                        }
                        expected[i] = relu ? Math.max(v, 0f) : v;
                    }
                    MemorySegment in = segment(arena, x), residual = segment(arena, r);
                    MemorySegment out = arena.allocate((long) (length + 1) * Float.BYTES);
                    VectorRows.normalize(in, 3, center, scale, shift, withResidual ? residual : null, 5, relu, out, 1,
                            length);
                    String what = (withResidual ? "with" : "without") + " residual, relu " + relu;
                    assertArrayEquals(expected, read(out, 1, length), what);
                    // In place: the output is the input.
                    VectorRows.normalize(in, 3, center, scale, shift, withResidual ? residual : null, 5, relu, in, 3,
                            length);
                    assertArrayEquals(expected, read(in, 3, length), what + ", in place");
                }
            }
        }
    }

    @ParameterizedTest(name = "length {0}")
    @ValueSource(ints = {0, 1, 7, 8, 9, 23, 784})
    void normBackwardIsTheScalarLoop(int length) {
        SplittableRandom random = new SplittableRandom(100 + length);
        float center = -0.4f, slope = 0.05f, scale = 2.5f, shift = 0.01f;
        try (Arena arena = Arena.ofConfined()) {
            for (boolean accumulate : new boolean[] {false, true}) {
                float[] x = values(random, length + 2), g = values(random, length + 1), prior = values(random, length);
                float[] expected = new float[length];
                for (int i = 0; i < length; i++) {
                    float v = g[1 + i] * scale + (x[2 + i] - center) * slope + shift;
                    expected[i] = accumulate ? prior[i] + v : v;
                }
                MemorySegment in = segment(arena, x), dOut = segment(arena, g), dIn = segment(arena, prior);
                VectorRows.normBackward(in, 2, center, slope, dOut, 1, scale, shift, dIn, 0, accumulate, length);
                assertArrayEquals(expected, read(dIn, 0, length), "accumulate " + accumulate);
            }
        }
    }

    /**
     * The sums in double against the scalar loops they replace (four partial sums, element {@code p} into sum
     * {@code p mod 4}, added pairwise), compared as exact doubles. The values spread over more magnitudes than a
     * double's 53 bits hold, so the sums round, and another order of additions would round differently.
     */
    @ParameterizedTest(name = "length {0}")
    @ValueSource(ints = {0, 1, 3, 4, 5, 7, 8, 9, 23, 784, 100_003})
    void theSumsAreTheScalarLoops(int length) {
        SplittableRandom random = new SplittableRandom(200 + length);
        float[] x = new float[length + 3], g = new float[length + 1];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (1000 + random.nextDouble(-1, 1) * Math.pow(10, random.nextInt(-3, 9)));
        }
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) (random.nextDouble(-1, 1) * Math.pow(10, random.nextInt(-12, 7)));
        }
        float center = 999.9f;
        double mean = 1000.0123;
        double[] sums = new double[4], squares = new double[4], dy = new double[4], dc = new double[4];
        for (int i = 0; i < length; i++) {
            int lane = i < (length & ~3) ? i % 4 : 0; // the tail past the last four goes to the first sum
            sums[lane] += x[3 + i];
            double deviation = x[3 + i] - mean;
            squares[lane] += deviation * deviation;
            double gradient = g[1 + i];
            dy[lane] += gradient;
            dc[lane] += gradient * (x[3 + i] - center);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = segment(arena, x), dOut = segment(arena, g);
            assertEquals(pairwise(sums), VectorRows.sum(in, 3, length), "sum");
            assertEquals(pairwise(squares), VectorRows.squaredDeviation(in, 3, length, mean), "squared deviation");
            double[] result = new double[2];
            VectorRows.gradientSums(in, 3, center, dOut, 1, length, result);
            assertEquals(pairwise(dy), result[0], "sum of the gradient");
            assertEquals(pairwise(dc), result[1], "sum of the gradient times the centered input");
        }
    }

    @ParameterizedTest(name = "length {0}")
    @ValueSource(ints = {0, 1, 7, 8, 9, 23, 784})
    void undoingTheReluAndTheAddIsTheScalarLoop(int length) {
        SplittableRandom random = new SplittableRandom(300 + length);
        try (Arena arena = Arena.ofConfined()) {
            for (boolean withRelu : new boolean[] {false, true}) {
                for (int residual = 0; residual < 3; residual++) { // none, written, added onto
                    if (!withRelu && residual == 0) {
                        continue;
                    }
                    boolean accumulate = residual == 2;
                    float[] g = values(random, length + 1), y = values(random, length + 2),
                            prior = values(random, length + 3);
                    for (int i = 0; i < y.length; i += 5) {
                        y[i] = i % 10 == 0 ? 0f : -0f; // the boundary: a ReLU's output is never negative
                    }
                    float[] expectedGradient = new float[length], expectedResidual = new float[length];
                    for (int i = 0; i < length; i++) {
                        float pass = !withRelu || y[2 + i] > 0f ? g[1 + i] : 0f;
                        expectedGradient[i] = pass;
                        expectedResidual[i] = accumulate ? prior[3 + i] + pass : pass;
                    }
                    MemorySegment dOut = segment(arena, g), out = segment(arena, y), dResidual = segment(arena, prior);
                    VectorRows.undoReluAndAdd(dOut, 1, withRelu ? out : null, 2, residual == 0 ? null : dResidual, 3,
                            accumulate, length);
                    String what = "relu " + withRelu + ", residual " + residual;
                    assertArrayEquals(expectedGradient, read(dOut, 1, length), what + ": the gradient");
                    if (residual > 0) {
                        assertArrayEquals(expectedResidual, read(dResidual, 3, length), what + ": the residual's");
                    }
                }
            }
        }
    }

    private static double pairwise(double[] sums) {
        return (sums[0] + sums[1]) + (sums[2] + sums[3]);
    }

    private static float[] values(SplittableRandom random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextDouble(-2, 2);
        }
        return values;
    }

    private static MemorySegment segment(Arena arena, float[] values) {
        MemorySegment segment = arena.allocate(Math.max(1, values.length) * (long) Float.BYTES);
        MemorySegment.copy(values, 0, segment, JAVA_FLOAT, 0, values.length);
        return segment;
    }

    private static float[] read(MemorySegment segment, long from, int count) {
        float[] values = new float[count];
        MemorySegment.copy(segment, JAVA_FLOAT, from * Float.BYTES, values, 0, count);
        return values;
    }
}
