package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.ops.PackedWeights.Layout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The kept packings' versions: a packing is trusted without a comparison only at the version it was made or last
 * confirmed at; a comparison by a caller that knows no version (−1) keeps that version, and a change packs again and
 * forgets it.
 */
class PackedWeightsTest {

    private static final int F = 4, C = 3, T = 9;

    @Test
    void aPackingIsTrustedOnlyAtItsVersion() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment weight = arena.allocate((long) F * C * T * Float.BYTES);
            for (int i = 0; i < F * C * T; i++) {
                weight.setAtIndex(JAVA_FLOAT, i, i);
            }
            PackedWeights cache = new PackedWeights();
            float[] packed = cache.packed(weight, 0, F, C, T, Layout.DIRECT, 5).clone();
            int slot = cache.slotOf(weight, 0, F, C, T, Layout.DIRECT);
            assertTrue(slot >= 0);
            assertTrue(cache.current(slot, 5));
            assertFalse(cache.current(slot, 6), "another version");
            assertFalse(cache.current(slot, -1), "no version");
            assertEquals(-1, cache.slotOf(weight, 0, F, C, T, Layout.DIRECT_TRANSPOSED), "each layout its own slot");

            assertArrayEquals(packed, cache.packed(weight, 0, F, C, T, Layout.DIRECT, -1), "compared equal");
            assertTrue(cache.current(slot, 5), "a comparison without a version keeps the version");

            weight.setAtIndex(JAVA_FLOAT, F * C * T - 1, -1f);
            // At its version the packing is trusted: the caller promises the weights have not changed since.
            assertArrayEquals(packed, cache.packed(weight, 0, F, C, T, Layout.DIRECT, 5));
            float[] repacked = cache.packed(weight, 0, F, C, T, Layout.DIRECT, -1);
            assertEquals(-1f, repacked[repacked.length - 1], "the change is packed");
            assertNotEquals(-1f, packed[packed.length - 1]);
            assertFalse(cache.current(slot, 5), "packed again without a version: the old one is forgotten");
            cache.packed(weight, 0, F, C, T, Layout.DIRECT, 7);
            assertTrue(cache.current(slot, 7), "confirmed at the new version");
        }
    }
}
