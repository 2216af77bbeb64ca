package dev.residual.runtime.optim;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Behaviour the golden runs do not pin down: padding over many steps, groups, state handling, argument checks. */
class OptimizerTest {

    private static final List<Optimizer> ALL = List.of(new Sgd(), new Sgd(0.9, 5e-4), new Sgd(0.9, 0, 1e-4, true),
            new Sgd(0.5, 0.3, 0, false), new AdamW(), new AdamW(0.8, 0.9, 1e-6, 0.1, false),
            new AdamW(0.9, 0.999, 1e-8, 0.05, true));

    /** Three parameter tensors with zero padding between and after them, as a model's block is laid out. */
    @Test
    void paddingStaysZeroOverManySteps() {
        int floats = 64;
        boolean[] padding = new boolean[floats];
        for (int i : new int[] {13, 14, 15, 40, 41, 60, 61, 62, 63}) {
            padding[i] = true;
        }
        SplittableRandom random = new SplittableRandom(5);
        for (Optimizer optimizer : ALL) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment params = arena.allocate(floats * 4L);
                MemorySegment grads = arena.allocate(floats * 4L);
                MemorySegment state = arena.allocate(Math.max(1, optimizer.stateFloats(floats)) * 4L);
                for (int i = 0; i < floats; i++) {
                    params.setAtIndex(JAVA_FLOAT, i, padding[i] ? 0 : (float) random.nextGaussian());
                }
                for (int step = 1; step <= 50; step++) {
                    for (int i = 0; i < floats; i++) {
                        grads.setAtIndex(JAVA_FLOAT, i, padding[i] ? 0 : (float) (random.nextGaussian() * 10));
                    }
                    optimizer.step(params, grads, state, floats, step, 0.5);
                }
                for (int i = 0; i < floats; i++) {
                    if (padding[i]) {
                        assertEquals(0, Float.floatToRawIntBits(params.getAtIndex(JAVA_FLOAT, i)), optimizer + " " + i);
                        for (int slot = 0; slot < optimizer.stateSlots(); slot++) {
                            assertEquals(0, Float.floatToRawIntBits(
                                    state.getAtIndex(JAVA_FLOAT, (long) slot * floats + i)), optimizer + " state");
                        }
                    } else {
                        assertTrue(Float.isFinite(params.getAtIndex(JAVA_FLOAT, i)), optimizer + " " + i);
                    }
                }
            }
        }
    }

    /** Updating a block in two groups (each with its own offsets and state block) equals updating it whole. */
    @Test
    void groupsEqualTheWhole() {
        int floats = 37, split = 16;
        SplittableRandom random = new SplittableRandom(9);
        for (Optimizer optimizer : ALL) {
            try (Arena arena = Arena.ofConfined()) {
                int slots = optimizer.stateSlots();
                MemorySegment whole = random(arena, floats, random), parts = copy(arena, whole);
                MemorySegment grads = arena.allocate(floats * 4L);
                MemorySegment wholeState = arena.allocate(Math.max(1, slots * floats) * 4L);
                MemorySegment partState = arena.allocate(Math.max(1, slots * floats) * 4L);
                for (int step = 1; step <= 4; step++) {
                    MemorySegment.copy(random(arena, floats, random), 0, grads, 0, floats * 4L);
                    optimizer.step(whole, grads, wholeState, floats, step, 0.01 * step);
                    optimizer.step(parts, 0, grads, 0, partState, 0, split, step, 0.01 * step);
                    optimizer.step(parts, split, grads, split, partState, (long) slots * split, floats - split, step,
                            0.01 * step);
                }
                assertArrayEquals(whole.toArray(JAVA_FLOAT), parts.toArray(JAVA_FLOAT), optimizer.toString());
            }
        }
    }

    /** SGD initializes its momentum buffer at step 1 whatever the state holds; a restart at step 1 is a fresh start. */
    @Test
    void sgdIgnoresTheBufferAtStepOne() {
        Sgd sgd = new Sgd(0.9, 0.1, 0.01, false);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocateFrom(JAVA_FLOAT, 1, -2, 3), b = copy(arena, a);
            MemorySegment grads = arena.allocateFrom(JAVA_FLOAT, 0.5f, 0.25f, -1);
            MemorySegment clean = arena.allocate(12), dirty = arena.allocateFrom(JAVA_FLOAT, 7, Float.NaN, -9);
            sgd.step(a, grads, clean, 3, 1, 0.1);
            sgd.step(b, grads, dirty, 3, 1, 0.1);
            assertArrayEquals(a.toArray(JAVA_FLOAT), b.toArray(JAVA_FLOAT));
            assertArrayEquals(clean.toArray(JAVA_FLOAT), dirty.toArray(JAVA_FLOAT));
            float[] p0 = {1, -2, 3}, g = grads.toArray(JAVA_FLOAT), buf = new float[3];
            for (int i = 0; i < 3; i++) {
                buf[i] = Math.fma(p0[i], 0.01f, g[i]); // buf = g + wd·p, undampened
            }
            assertArrayEquals(buf, clean.toArray(JAVA_FLOAT), "buf = g + wd·p on step 1");
        }
    }

    @Test
    void stateSlots() {
        assertEquals(0, new Sgd().stateSlots());
        assertEquals(1, new Sgd(0.9, 0).stateSlots());
        assertEquals(2, new AdamW().stateSlots());
        assertEquals(3, new AdamW(0.9, 0.999, 1e-8, 0, true).stateSlots());
        assertEquals(30, new AdamW().stateFloats(15));
    }

    @Test
    void badHyperParameters() {
        assertThrows(IllegalArgumentException.class, () -> new Sgd(-0.1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0.9, -1));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0, 0, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0.9, 0.1, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(Double.NaN, 0));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(1.0, 0.999, 1e-8, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(0.9, -0.1, 1e-8, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(0.9, 0.999, 0, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(0.9, 0.999, 1e-50, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(-0.01));
    }

    /** Every bad call is refused before anything is written. */
    @Test
    void badCallsWriteNothing() {
        for (Optimizer optimizer : ALL) {
            try (Arena arena = Arena.ofConfined()) {
                SplittableRandom random = new SplittableRandom(1);
                int floats = 10;
                MemorySegment params = random(arena, floats, random), grads = random(arena, floats, random);
                MemorySegment state = random(arena, 3 * floats, random);
                float[] before = params.toArray(JAVA_FLOAT), stateBefore = state.toArray(JAVA_FLOAT);
                List<Executable> calls = List.of(
                        () -> optimizer.step(params, grads, state, floats, 0, 0.1),
                        () -> optimizer.step(params, grads, state, floats, -3, 0.1),
                        () -> optimizer.step(params, grads, state, floats, 1, -0.1),
                        () -> optimizer.step(params, grads, state, floats, 1, Double.NaN),
                        () -> optimizer.step(params, grads, state, floats, 1, Double.POSITIVE_INFINITY),
                        () -> optimizer.step(params, grads, state, floats + 1, 1, 0.1),
                        () -> optimizer.step(params, grads, state, -1, 1, 0.1),
                        () -> optimizer.step(params, 1, grads, 0, state, 0, floats, 1, 0.1),
                        () -> optimizer.step(params, 0, grads, 1, state, 0, floats, 1, 0.1),
                        () -> optimizer.step(params, -1, grads, 0, state, 0, floats, 1, 0.1),
                        () -> optimizer.step(params, grads, null, floats, 1, 0.1));
                for (int c = 0; c < calls.size(); c++) {
                    if (c == calls.size() - 1 && optimizer.stateSlots() == 0) {
                        continue; // no state needed: null is fine
                    }
                    assertThrows(IllegalArgumentException.class, calls.get(c), optimizer + " call " + c);
                    assertArrayEquals(before, params.toArray(JAVA_FLOAT), optimizer + " call " + c);
                    assertArrayEquals(stateBefore, state.toArray(JAVA_FLOAT), optimizer + " call " + c);
                }
                if (optimizer.stateSlots() > 0) {
                    MemorySegment small = arena.allocate(optimizer.stateFloats(floats) * 4L - 4);
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> optimizer.step(params, grads, small, floats, 1, 0.1));
                    assertTrue(e.getMessage().contains("state"), e.getMessage());
                    assertArrayEquals(before, params.toArray(JAVA_FLOAT));
                }
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(8);
            new Sgd().step(p, arena.allocate(8), null, 2, 1, 0.1); // plain SGD keeps no state
            new Sgd().step(p, arena.allocate(8), null, 0, 1, 0.1); // nothing to do
        }
    }

    private static MemorySegment random(Arena arena, int floats, SplittableRandom random) {
        MemorySegment segment = arena.allocate(floats * 4L);
        for (int i = 0; i < floats; i++) {
            segment.setAtIndex(JAVA_FLOAT, i, (float) random.nextGaussian());
        }
        return segment;
    }

    private static MemorySegment copy(Arena arena, MemorySegment segment) {
        return arena.allocate(segment.byteSize()).copyFrom(segment);
    }
}
