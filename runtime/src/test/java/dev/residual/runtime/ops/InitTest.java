package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.empty;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.ops.Fixtures.Buf;
import dev.residual.runtime.random.TorchGenerator;
import java.lang.foreign.Arena;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** PyTorch-default initialization: bounds, spread, reproducibility from a seed. */
class InitTest {

    @Test
    void convolutionIsKaimingUniformWithFanIn() {
        int F = 64, C = 16, K = 3;
        double bound = 1 / Math.sqrt(C * K * K); // kaiming_uniform_(a=√5): 1/√fan_in
        try (Arena arena = Arena.ofConfined()) {
            Buf weight = empty(arena, (long) F * C * K * K), bias = empty(arena, F);
            Init.conv2d(new TorchGenerator(42), weight.seg(), weight.off(), F, C, K, bias.seg(), bias.off());
            assertUniform(weight.read(F * C * K * K), bound);
            assertWithin(bias.read(F), bound);
            weight.assertUntouchedBeyond((long) F * C * K * K, "weight");
            bias.assertUntouchedBeyond(F, "bias");
        }
    }

    @Test
    void denseIsKaimingUniformWithFanIn() {
        int units = 100, inF = 64;
        try (Arena arena = Arena.ofConfined()) {
            Buf weight = empty(arena, (long) units * inF), bias = empty(arena, units);
            Init.dense(new TorchGenerator(7), weight.seg(), weight.off(), units, inF, bias.seg(), bias.off());
            assertUniform(weight.read(units * inF), 1 / Math.sqrt(inF));
            assertWithin(bias.read(units), 1 / Math.sqrt(inF));
        }
    }

    @Test
    void sameSeedSameParametersOtherSeedOthers() {
        try (Arena arena = Arena.ofConfined()) {
            Buf a = empty(arena, 8 * 3 * 5 * 5), b = empty(arena, 8 * 3 * 5 * 5), c = empty(arena, 8 * 3 * 5 * 5);
            Init.conv2d(new TorchGenerator(1), a.seg(), a.off(), 8, 3, 5, null, 0);
            Init.conv2d(new TorchGenerator(1), b.seg(), b.off(), 8, 3, 5, null, 0);
            Init.conv2d(new TorchGenerator(2), c.seg(), c.off(), 8, 3, 5, null, 0);
            assertArrayEquals(a.read(600), b.read(600));
            assertFalse(Arrays.equals(a.read(600), c.read(600)));
            a.assertUntouchedBeyond(600, "bias-free conv");
        }
    }

    @Test
    void normsStartAsTheIdentity() {
        try (Arena arena = Arena.ofConfined()) {
            Buf gamma = empty(arena, 16), beta = empty(arena, 16), mean = empty(arena, 16), var = empty(arena, 16);
            Init.norm(gamma.seg(), gamma.off(), beta.seg(), beta.off(), 16);
            Init.runningStats(mean.seg(), mean.off(), var.seg(), var.off(), 16);
            for (int i = 0; i < 16; i++) {
                assertEquals(1f, gamma.get(i));
                assertEquals(0f, beta.get(i));
                assertEquals(0f, mean.get(i));
                assertEquals(1f, var.get(i));
            }
            gamma.assertUntouchedBeyond(16, "gamma");
            var.assertUntouchedBeyond(16, "var");
        }
    }

    /** Within ±bound, mean near 0, variance near bound²/3, and reaching close to both ends. */
    private static void assertUniform(float[] values, double bound) {
        assertWithin(values, bound);
        double sum = 0, squares = 0, min = 0, max = 0;
        for (float v : values) {
            sum += v;
            squares += (double) v * v;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double mean = sum / values.length, variance = squares / values.length - mean * mean;
        double expected = bound * bound / 3;
        // Standard error of the variance of a uniform sample: bound²·√(4/45)/√N; allow 5 of them.
        double slack = 5 * bound * bound * Math.sqrt(4.0 / 45) / Math.sqrt(values.length);
        assertEquals(expected, variance, slack, "variance");
        assertEquals(0, mean, 5 * Math.sqrt(expected / values.length), "mean");
        assertTrue(min < -0.95 * bound && max > 0.95 * bound, "range [" + min + ", " + max + "] of ±" + bound);
    }

    private static void assertWithin(float[] values, double bound) {
        for (float v : values) {
            // The float rounding of a draw next to ±bound may land a hair beyond it.
            assertTrue(Math.abs(v) <= bound * (1 + 1e-7), v + " outside ±" + bound);
        }
    }
}
