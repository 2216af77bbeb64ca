package dev.residual.runtime.loss;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** The losses allocate nothing once warmed up. */
class LossAllocationTest {

    private static final int CLASSES = 10, N = 32;

    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private final int[] labels = new int[N];
    private MemorySegment logits, grad, labelInts, target;
    private double sink;

    @Test
    void lossesAllocateNothingAfterWarmUp() {
        try (Arena arena = Arena.ofConfined()) {
            logits = arena.allocate(CLASSES * N * 4L, 64);
            grad = arena.allocate(CLASSES * N * 4L, 64);
            target = arena.allocate(CLASSES * N * 4L, 64);
            labelInts = arena.allocate(N * 4L, 64);
            for (int i = 0; i < CLASSES * N; i++) {
                logits.setAtIndex(JAVA_FLOAT, i, (i % 11 - 5) * 0.7f);
                target.setAtIndex(JAVA_FLOAT, i, (i % 3) * 0.5f);
            }
            for (int s = 0; s < N; s++) {
                labels[s] = (s * 7) % CLASSES;
                labelInts.setAtIndex(JAVA_INT, s, labels[s]);
            }
            long bytes = -1;
            for (int round = 0; round < 20 && bytes != 0; round++) {
                for (int i = 0; i < 2_000; i++) {
                    callEverything();
                }
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 200; i++) {
                    callEverything();
                }
                bytes = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, bytes, "bytes allocated by 200 rounds of every loss after warm-up");
        }
    }

    private void callEverything() {
        sink += SoftmaxCrossEntropy.forward(logits, 0, CLASSES, N, labels, 0.1f, grad, 0);
        sink += SoftmaxCrossEntropy.forward(logits, 0, CLASSES, N, labels, 0, null, 0);
        sink += SoftmaxCrossEntropy.forward(logits, 0, CLASSES, N, labelInts, 0, 0, grad, 0);
        sink += SoftmaxCrossEntropy.correct(logits, 0, CLASSES, N, labels);
        sink += MeanSquaredError.forward(logits, 0, CLASSES, N, target, 0, grad, 0);
        sink += MeanSquaredError.forward(logits, 0, CLASSES, N, target, 0, null, 0);
    }
}
