package dev.residual.runtime.loss;

import static dev.residual.runtime.loss.SoftmaxCrossEntropyTest.assertUntouched;
import static dev.residual.runtime.loss.SoftmaxCrossEntropyTest.filled;
import static dev.residual.runtime.loss.SoftmaxCrossEntropyTest.place;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.residual.runtime.optim.OptimGolden;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** MSE against PyTorch's MSELoss (loss in float64, gradient from float32 autograd). */
class MeanSquaredErrorTest {

    @Test
    void matchesPyTorch() {
        try (OptimGolden golden = OptimGolden.open(); Arena arena = Arena.ofConfined()) {
            long[] shape = golden.shape("mse.prediction");
            int features = (int) shape[0], n = (int) shape[1];
            float[] prediction = golden.floats("mse.prediction"), target = golden.floats("mse.target");
            MemorySegment p = place(arena, prediction, 3), t = place(arena, target, 1);
            MemorySegment d = filled(arena, 4 + prediction.length);
            float loss = MeanSquaredError.forward(p, 3, features, n, t, 1, d, 4);
            OptimGolden.assertClose(golden.scalar("mse.loss"), loss, 1e-6, "loss");
            int identical = OptimGolden.assertClose(golden.floats("mse.grad"), d, 4, "gradient");
            assertEquals(prediction.length, identical, "the gradient is computed as PyTorch computes it");
            assertUntouched(d, 4, prediction.length, "gradient");
            assertEquals(loss, MeanSquaredError.forward(p, 3, features, n, t, 1, null, 0), "loss alone");
            assertEquals(loss, MeanSquaredError.forward(p, 3, features, n, t, 1, p, 3), "in place");
            OptimGolden.assertClose(golden.floats("mse.grad"), p, 3, "gradient in place");
        }
    }

    @Test
    void badArgumentsWriteNothing() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = place(arena, new float[6], 0), t = place(arena, new float[6], 0);
            MemorySegment d = filled(arena, 6);
            assertThrows(IllegalArgumentException.class, () -> MeanSquaredError.forward(p, 0, 0, 3, t, 0, d, 0));
            assertThrows(IllegalArgumentException.class, () -> MeanSquaredError.forward(p, 0, 2, 0, t, 0, d, 0));
            assertThrows(IllegalArgumentException.class, () -> MeanSquaredError.forward(p, 0, 2, 3, t, 3, d, 0));
            assertThrows(IllegalArgumentException.class, () -> MeanSquaredError.forward(p, 0, 2, 3, t, 0, d, 1));
            assertThrows(IllegalArgumentException.class, () -> MeanSquaredError.forward(p, 0, 2, 3, null, 0, d, 0));
            assertUntouched(d, 0, 0, "bad arguments");
        }
    }
}
