package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.gemm.JavaGemm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The kernels that {@link Workers} splits over channels give bit-identical results on one and on two threads, and at
 * these sizes they really are split. Memory comes from a shared arena, as a compiled model's does.
 */
class ParallelKernelsTest {

    private static final int C = 8, N = 8, H = 32, W = 32, HW = H * W, SIZE = C * N * HW, K = 3;

    /** The kernels split by channel, run with the shared pool at {@code threads}; all outputs, concatenated. */
    private static float[] runAll(int threads) {
        Workers pool = Workers.shared();
        int before = pool.threads();
        pool.setThreads(threads);
        try (Arena arena = Arena.ofShared()) {
            SplittableRandom random = new SplittableRandom(7);
            MemorySegment x = random(arena, SIZE, random), dy = random(arena, SIZE, random);
            MemorySegment residual = random(arena, SIZE, random);
            MemorySegment gamma = random(arena, C, random), beta = random(arena, C, random);
            MemorySegment runningMean = random(arena, C, random), runningVar = arena.allocate(C * 4L).fill((byte) 0);
            MemorySegment mean = arena.allocate(C * 4L), rstd = arena.allocate(C * 4L);
            MemorySegment normed = arena.allocate(SIZE * 4L), inferred = arena.allocate(SIZE * 4L);
            MemorySegment dGamma = arena.allocate(C * 4L), dBeta = arena.allocate(C * 4L);
            MemorySegment dx = random(arena, SIZE, random), masked = random(arena, SIZE, random);
            MemorySegment summed = arena.allocate(SIZE * 4L), accumulated = random(arena, SIZE, random);
            BatchNorm.trainingForward(x, 0, C, HW, N, gamma, 0, beta, 0, runningMean, 0, runningVar, 0, 0.1f, 1e-5f,
                    mean, 0, rstd, 0, residual, 0, true, normed, 0);
            BatchNorm.inference(x, 0, C, HW, N, gamma, 0, beta, 0, runningMean, 0, runningVar, 0, 1e-5f, null, 0,
                    false, inferred, 0);
            BatchNorm.backward(x, 0, C, HW, N, gamma, 0, mean, 0, rstd, 0, dy, 0, dGamma, 0, dBeta, 0, dx, 0, true);
            Activations.reluBackward(normed, 0, dy, 0, C, HW, N, masked, 0, true);
            Elementwise.addRelu(x, 0, residual, 0, C, HW, N, true, summed, 0);
            Elementwise.accumulate(dy, 0, C, HW, N, accumulated, 0, false);

            int F = 8;
            MemorySegment weight = random(arena, F * C * K * K, random);
            MemorySegment conv = arena.allocate(SIZE * 4L);
            long colSize = Conv2d.colSize(C, H, W, K, 1, 1, N);
            MemorySegment col = arena.allocate(colSize * 4L);
            Conv2d.forward(new JavaGemm(1), x, 0, C, H, W, N, weight, 0, F, K, 1, 1, null, 0, conv, 0, col, 0);
            MemorySegment strided = random(arena, Conv2d.colSize(C, H, W, K, 2, 1, N), random);
            MemorySegment scattered = arena.allocate(SIZE * 4L);
            Conv2d.col2im(strided, 0, C, H, W, N, K, 2, 1, scattered, 0, false);

            MemorySegment[] outputs = {normed, inferred, runningMean, runningVar, mean, rstd, dGamma, dBeta, dx,
                    masked, summed, accumulated, conv, scattered};
            long total = 0;
            for (MemorySegment output : outputs) {
                total += output.byteSize() / 4;
            }
            float[] all = new float[(int) total];
            int at = 0;
            for (MemorySegment output : outputs) {
                float[] values = output.toArray(JAVA_FLOAT);
                System.arraycopy(values, 0, all, at, values.length);
                at += values.length;
            }
            return all;
        } finally {
            pool.setThreads(before);
        }
    }

    private static MemorySegment random(Arena arena, long floats, SplittableRandom random) {
        MemorySegment segment = arena.allocate(floats * 4);
        for (long i = 0; i < floats; i++) {
            segment.setAtIndex(JAVA_FLOAT, i, (float) random.nextDouble(-1, 1));
        }
        return segment;
    }

    @Test
    void twoThreadsGiveTheSameBitsAsOne() {
        float[] one = runAll(1);
        long splitBefore = Workers.shared().splitCalls();
        float[] two = runAll(2);
        long split = Workers.shared().splitCalls() - splitBefore;
        assertArrayEquals(one, two);
        // 6 element-wise kernels, the forward's unrolling and the strided col2im: each large enough to split.
        assertTrue(split >= 8, "calls split over two threads: " + split);
        assertEquals(one.length, two.length);
    }
}
