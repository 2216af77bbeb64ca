package dev.residual.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

class TensorNormTest {

    private static Tensor tensor(Arena arena, float... values) {
        Tensor tensor = new Tensor("t", new int[] {values.length}, arena.allocate((long) values.length * Float.BYTES));
        tensor.copyFrom(values);
        return tensor;
    }

    @Test
    void isTheEuclideanLength() {
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(5.0, tensor(arena, 3f, -4f).norm(), 0);
            assertEquals(0.0, tensor(arena, 0f, 0f, 0f).norm(), 0);
        }
    }

    /** Squares of 1e-30 underflow in float; summed in double they do not, which is what a vanishing gradient needs. */
    @Test
    void keepsTinyValues() {
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(2e-30, tensor(arena, 1e-30f, 1e-30f, 1e-30f, 1e-30f).norm(), 1e-36);
        }
    }
}
