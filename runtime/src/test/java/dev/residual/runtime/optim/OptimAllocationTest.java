package dev.residual.runtime.optim;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * A training step's optimizer work allocates nothing once warmed up: every optimizer's step (through the interface,
 * as generated code calls it), the schedules, the clipping and the finite check.
 */
class OptimAllocationTest {

    private static final int FLOATS = 1000;

    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private final Optimizer[] optimizers = {new Sgd(), new Sgd(0.9, 5e-4), new Sgd(0.9, 0, 5e-4, true),
            new AdamW(), new AdamW(0.9, 0.999, 1e-8, 0.01, true)};
    private final LearningRate[] schedules = {new StepDecay(0.1, 30, 0.1), new Cosine(0.1, 1e-3, 1000),
            new Cosine(0.1, 1000).withWarmup(0.1, 50), LearningRate.constant(0.1).perEpoch(10)};
    private MemorySegment params, grads, state;
    private double sink;

    @Test
    void stepsAllocateNothingAfterWarmUp() {
        try (Arena arena = Arena.ofConfined()) {
            params = arena.allocate(FLOATS * 4L, 64);
            grads = arena.allocate(FLOATS * 4L, 64);
            state = arena.allocate(3L * FLOATS * 4L, 64);
            for (int i = 0; i < FLOATS; i++) {
                params.setAtIndex(JAVA_FLOAT, i, (i % 13 - 6) * 0.1f);
                grads.setAtIndex(JAVA_FLOAT, i, (i % 7 - 3) * 0.01f);
            }
            long bytes = -1;
            for (int round = 0; round < 20 && bytes != 0; round++) {
                for (int i = 0; i < 2_000; i++) {
                    callEverything(i);
                }
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 200; i++) {
                    callEverything(i);
                }
                bytes = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, bytes, "bytes allocated by 200 rounds of every optimizer step after warm-up");
        }
    }

    private void callEverything(int i) {
        long step = 1 + (i & 7); // step 1 now and then: Sgd's first-step path
        for (LearningRate schedule : schedules) {
            sink += schedule.at(i);
        }
        for (Optimizer optimizer : optimizers) {
            optimizer.step(params, grads, state, FLOATS, step, 1e-3);
            optimizer.step(params, 8, grads, 8, state, 0, FLOATS - 8, step, 1e-3);
        }
        if (GradientClipping.allFinite(grads, FLOATS)) {
            sink += GradientClipping.clipByGlobalNorm(grads, FLOATS, 1e3);
        }
        sink += GradientClipping.firstNonFinite(grads, 0, FLOATS);
    }
}
