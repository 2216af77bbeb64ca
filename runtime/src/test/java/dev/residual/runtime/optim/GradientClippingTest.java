package dev.residual.runtime.optim;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Clipping against torch.nn.utils.clip_grad_norm_, and the non-finite detection. */
class GradientClippingTest {

    @Test
    void clipsAsPyTorch() {
        try (OptimGolden golden = OptimGolden.open(); Arena arena = Arena.ofConfined()) {
            float[] grads = golden.floats("clip.grads");
            double torchNorm = golden.floats("clip.norm")[0];
            MemorySegment block = arena.allocate((3L + grads.length) * Float.BYTES);
            MemorySegment.copy(grads, 0, block, JAVA_FLOAT, 3L * Float.BYTES, grads.length);

            double norm = GradientClipping.clipByGlobalNorm(block, 3, grads.length, 1000);
            OptimGolden.assertClose(torchNorm, norm, 1e-6, "norm");
            OptimGolden.assertClose(golden.floats("clip.max1000.grads"), block, 3, "max norm 1000 (no clipping)");
            assertArrayEquals(grads, block.asSlice(3L * Float.BYTES).toArray(JAVA_FLOAT), "unchanged bit for bit");

            norm = GradientClipping.clipByGlobalNorm(block, 3, grads.length, 1);
            OptimGolden.assertClose(torchNorm, norm, 1e-6, "norm before clipping");
            OptimGolden.assertClose(golden.floats("clip.max1.grads"), block, 3, "max norm 1");
            OptimGolden.assertClose(1, GradientClipping.globalNorm(block, 3, grads.length), 1e-6,
                    "norm after clipping");
        }
    }

    @Test
    void nonFiniteNormLeavesTheGradientsAlone() {
        try (Arena arena = Arena.ofConfined()) {
            float[] values = {3, 4, Float.POSITIVE_INFINITY, 1};
            MemorySegment grads = arena.allocateFrom(JAVA_FLOAT, values);
            assertEquals(Double.POSITIVE_INFINITY, GradientClipping.clipByGlobalNorm(grads, 4, 1));
            assertArrayEquals(values, grads.toArray(JAVA_FLOAT));
            grads.setAtIndex(JAVA_FLOAT, 2, Float.NaN);
            assertTrue(Double.isNaN(GradientClipping.clipByGlobalNorm(grads, 4, 1)));
            assertEquals(3f, grads.getAtIndex(JAVA_FLOAT, 0));
            assertEquals(5.0, GradientClipping.clipByGlobalNorm(grads, 2, 10), "a prefix");
            assertEquals(0.0, GradientClipping.clipByGlobalNorm(grads, 0, 1), "no floats");
            assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipByGlobalNorm(grads, 4, 0));
            assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipByGlobalNorm(grads, 5, 1));
        }
    }

    @Test
    void largeGradientsDoNotOverflowTheNorm() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment grads = arena.allocateFrom(JAVA_FLOAT, 3e30f, 4e30f);
            double norm = GradientClipping.clipByGlobalNorm(grads, 2, 5);
            OptimGolden.assertClose(5e30, norm, 1e-6, "norm of (3e30, 4e30)");
            OptimGolden.assertClose(3, grads.getAtIndex(JAVA_FLOAT, 0), 1e-6, "clipped");
            OptimGolden.assertClose(4, grads.getAtIndex(JAVA_FLOAT, 1), 1e-6, "clipped");
        }
    }

    @Test
    void detectsEveryNonFiniteValueAnywhere() {
        int floats = 10_000; // more than two 4096-float chunks
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.intBitsToFloat(0x7f80_0001), Float.intBitsToFloat(0xffc0_0000)};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate((floats + 5L) * Float.BYTES);
            for (int i = 0; i < floats + 5; i++) {
                block.setAtIndex(JAVA_FLOAT, i, (i % 7 - 3) * 1e37f);
            }
            block.setAtIndex(JAVA_FLOAT, 100, Float.MAX_VALUE);
            block.setAtIndex(JAVA_FLOAT, 101, -Float.MAX_VALUE);
            block.setAtIndex(JAVA_FLOAT, 102, Float.MIN_VALUE);
            block.setAtIndex(JAVA_FLOAT, 103, -0f);
            assertTrue(GradientClipping.allFinite(block, floats + 5));
            assertTrue(GradientClipping.allFinite(block, 5, floats));
            assertEquals(-1, GradientClipping.firstNonFinite(block, 5, floats));
            for (int at : new int[] {0, 1, 4095, 4096, 8191, 8192, floats - 1}) {
                for (float value : special) {
                    block.setAtIndex(JAVA_FLOAT, 5 + at, value);
                    assertFalse(GradientClipping.allFinite(block, 5, floats), value + " at " + at);
                    assertEquals(at, GradientClipping.firstNonFinite(block, 5, floats), value + " at " + at);
                    assertTrue(GradientClipping.allFinite(block, 5, at), "before " + at);
                    block.setAtIndex(JAVA_FLOAT, 5 + at, 1f);
                }
            }
            block.setAtIndex(JAVA_FLOAT, 2, Float.NaN);
            assertTrue(GradientClipping.allFinite(block, 5, floats), "outside the range");
            assertFalse(GradientClipping.allFinite(block, floats));
            assertTrue(GradientClipping.allFinite(block, 0));
            assertThrows(IllegalArgumentException.class, () -> GradientClipping.allFinite(block, floats + 6));
            assertThrows(IllegalArgumentException.class, () -> GradientClipping.allFinite(block, -1, 3));
        }
    }
}
