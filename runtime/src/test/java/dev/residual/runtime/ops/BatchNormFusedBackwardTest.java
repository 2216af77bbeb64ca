package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.uniform;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link BatchNorm#backwardThroughAdd}, the generated code's one-kernel backward of a norm with a fused residual add
 * and ReLU, against the three kernels it replaces run one after the other (ReLU mask, gradient sent to the shortcut,
 * norm backward), as the interpreter runs them: every output bit for bit. Large enough that the shared workers split
 * the channels (2 threads).
 */
class BatchNormFusedBackwardTest {

    private static final int C = 4, N = 2, HW = 10_000, LENGTH = N * HW, COUNT = C * LENGTH;

    @ParameterizedTest(name = "relu {0}, residual {1}, add to residual {2}, add to dIn {3}")
    @CsvSource({"true,true,false,false", "true,true,true,false", "true,false,false,false", "false,true,false,true",
            "true,true,true,true", "false,false,false,false"})
    void equalsTheSeparateKernels(boolean relu, boolean residual, boolean accumulateResidual, boolean accumulate) {
        SplittableRandom random = new SplittableRandom(relu ? 3 : 5);
        float[] x = uniform(random, COUNT, -2, 3), y = uniform(random, COUNT, -1, 1);
        float[] dOut = uniform(random, COUNT, -1, 1);
        for (int i = 0; i < COUNT; i += 97) {
            y[i] = 0f; // a ReLU output of exactly 0 passes no gradient
        }
        float[] dResidual = uniform(random, COUNT, -1, 1), dIn = uniform(random, COUNT, -1, 1);
        float[] gamma = uniform(random, C, -1.5, 1.5), mean = uniform(random, C, -0.5, 0.5);
        float[] rstd = uniform(random, C, 0.5, 2);
        try (Arena arena = Arena.ofShared()) {
            Outputs separate = new Outputs(arena, dOut, dResidual, dIn);
            Outputs fused = new Outputs(arena, dOut, dResidual, dIn);
            MemorySegment in = place(arena, x), out = place(arena, y), g = place(arena, gamma), m = place(arena, mean),
                    r = place(arena, rstd);
            long splitBefore = Workers.shared().splitCalls();

            if (relu) {
                Activations.reluBackward(out, 0, separate.dOut, 0, C, HW, N, separate.dOut, 0, false);
            }
            if (residual) {
                Elementwise.accumulate(separate.dOut, 0, C, HW, N, separate.dResidual, 0, !accumulateResidual);
            }
            BatchNorm.backward(in, 0, C, HW, N, g, 0, m, 0, r, 0, separate.dOut, 0, separate.dGamma, 0,
                    separate.dBeta, 0, separate.dIn, 0, accumulate);

            BatchNorm.backwardThroughAdd(in, 0, C, HW, N, g, 0, m, 0, r, 0, fused.dOut, 0, relu ? out : null, 0,
                    residual ? fused.dResidual : null, 0, accumulateResidual, fused.dGamma, 0, fused.dBeta, 0,
                    fused.dIn, 0, accumulate);

            assertArrayEquals(separate.dOut.toArray(JAVA_FLOAT), fused.dOut.toArray(JAVA_FLOAT), "masked gradient");
            assertArrayEquals(separate.dResidual.toArray(JAVA_FLOAT), fused.dResidual.toArray(JAVA_FLOAT), "residual");
            assertArrayEquals(separate.dGamma.toArray(JAVA_FLOAT), fused.dGamma.toArray(JAVA_FLOAT), "dGamma");
            assertArrayEquals(separate.dBeta.toArray(JAVA_FLOAT), fused.dBeta.toArray(JAVA_FLOAT), "dBeta");
            assertArrayEquals(separate.dIn.toArray(JAVA_FLOAT), fused.dIn.toArray(JAVA_FLOAT), "dIn");
            if (residual && !accumulateResidual) {
                assertArrayEquals(fused.dOut.toArray(JAVA_FLOAT), fused.dResidual.toArray(JAVA_FLOAT),
                        "the shortcut receives the masked gradient itself");
            }
            if (Workers.shared().threads() > 1) {
                assertTrue(Workers.shared().splitCalls() > splitBefore, "the kernels ran split over the workers");
            }
        }
    }

    /** What the backward writes: its own copies of the gradients it starts from. */
    private static final class Outputs {
        final MemorySegment dOut, dResidual, dIn, dGamma, dBeta;

        Outputs(Arena arena, float[] dOut, float[] dResidual, float[] dIn) {
            this.dOut = place(arena, dOut);
            this.dResidual = place(arena, dResidual);
            this.dIn = place(arena, dIn);
            this.dGamma = arena.allocate((long) C * Float.BYTES);
            this.dBeta = arena.allocate((long) C * Float.BYTES);
        }
    }

    private static MemorySegment place(Arena arena, float[] values) {
        MemorySegment segment = arena.allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, segment, JAVA_FLOAT, 0, values.length);
        return segment;
    }
}
