package dev.residual.runtime.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.random.TorchGenerator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * No kernel, forward or backward, allocates on the Java heap once warmed up: a training step must create no garbage. The interpreter and
 * the first compiled versions may allocate (no escape analysis yet), so the kernels are warmed until the JIT has
 * compiled them, then measured; a kernel that allocates per call would never reach 0.
 */
class AllocationTest {

    private static final int C = 3, H = 9, W = 9, F = 4, K = 3, N = 2, UNITS = 5, GROUPS = 3;
    private static final int HW = H * W;

    private final Gemm gemm = Backends.defaultGemm();
    private final TorchGenerator random = new TorchGenerator(11);
    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private MemorySegment nchw, in, out, out2, col, colSame, weight, bias, gamma, beta, mean, var, stats, stats2, features,
            dense, denseWeight, denseBias, params, grad, dIn, dWeight, dBias, dParams, dGamma, dBeta, runningMean,
            runningVar, saveMean, saveRstd, dFeatures, dDenseWeight, dDenseBias;

    @Test
    void kernelsAllocateNothingAfterWarmUp() {
        try (Arena arena = Arena.ofConfined()) {
            allocate(arena);
            long bytes = -1;
            for (int round = 0; round < 20 && bytes != 0; round++) {
                for (int i = 0; i < 2_000; i++) {
                    callEveryKernel();
                }
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 200; i++) {
                    callEveryKernel();
                }
                bytes = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, bytes, "bytes allocated by 200 calls of every kernel after warm-up");
        }
    }

    private void allocate(Arena arena) {
        TorchGenerator random = new TorchGenerator(3);
        nchw = filled(arena, (long) N * C * HW, random);
        in = filled(arena, (long) C * N * HW, random);
        out = arena.allocate((long) F * N * HW * Float.BYTES, 64);
        out2 = arena.allocate((long) F * N * HW * Float.BYTES, 64);
        col = arena.allocate(Conv2d.colSize(C, H, W, K, 2, 1, N) * Float.BYTES, 64);
        colSame = arena.allocate(Conv2d.colSize(C, H, W, K, 1, 1, N) * Float.BYTES, 64);
        weight = arena.allocate((long) F * C * K * K * Float.BYTES, 64);
        bias = arena.allocate((long) F * Float.BYTES, 64);
        params = arena.allocate((long) 4 * C * HW * Float.BYTES, 64);
        gamma = params.asSlice(0, (long) C * HW * Float.BYTES);
        beta = params.asSlice((long) C * HW * Float.BYTES, (long) C * HW * Float.BYTES);
        mean = filled(arena, C, random);
        var = arena.allocate((long) C * Float.BYTES, 64);
        stats = arena.allocate((long) N * GROUPS * Float.BYTES, 64);
        stats2 = arena.allocate((long) N * GROUPS * Float.BYTES, 64);
        features = arena.allocate((long) C * HW * N * Float.BYTES, 64);
        dense = arena.allocate((long) UNITS * N * Float.BYTES, 64);
        denseWeight = arena.allocate((long) UNITS * C * HW * Float.BYTES, 64);
        denseBias = arena.allocate((long) UNITS * Float.BYTES, 64);
        TorchGenerator init = new TorchGenerator(1);
        Init.conv2d(init, weight, 0, F, C, K, bias, 0);
        Init.dense(init, denseWeight, 0, UNITS, C * HW, denseBias, 0);
        Init.norm(gamma, 0, beta, 0, C * HW);
        Init.runningStats(mean, 0, var, 0, C);
        grad = filled(arena, (long) F * N * HW, random);
        dIn = arena.allocate((long) C * N * HW * Float.BYTES, 64);
        dWeight = arena.allocate((long) F * C * K * K * Float.BYTES, 64);
        dBias = arena.allocate((long) F * Float.BYTES, 64);
        dParams = arena.allocate((long) 2 * C * HW * Float.BYTES, 64);
        dGamma = dParams.asSlice(0, (long) C * HW * Float.BYTES);
        dBeta = dParams.asSlice((long) C * HW * Float.BYTES, (long) C * HW * Float.BYTES);
        runningMean = arena.allocate((long) C * Float.BYTES, 64);
        runningVar = arena.allocate((long) C * Float.BYTES, 64);
        Init.runningStats(runningMean, 0, runningVar, 0, C);
        saveMean = arena.allocate((long) C * Float.BYTES, 64);
        saveRstd = arena.allocate((long) C * Float.BYTES, 64);
        dFeatures = arena.allocate((long) C * HW * N * Float.BYTES, 64);
        dDenseWeight = arena.allocate((long) UNITS * C * HW * Float.BYTES, 64);
        dDenseBias = arena.allocate((long) UNITS * Float.BYTES, 64);
    }

    private static MemorySegment filled(Arena arena, long count, TorchGenerator random) {
        MemorySegment segment = arena.allocate(count * Float.BYTES, 64);
        Init.uniform(random, segment, 0, count, 1);
        return segment;
    }

    /** Every kernel once, with nothing that could allocate around the calls. */
    private void callEveryKernel() {
        Layout.nchwToChannelMajor(nchw, 0, C, H, W, N, in, 0);
        Layout.channelMajorToNchw(in, 0, C, H, W, N, out2, 0);
        Layout.flatten(in, 0, C, H, W, N, features, 0);
        Layout.unflatten(features, 0, C, H, W, N, out2, 0);
        Conv2d.forward(gemm, in, 0, C, H, W, N, weight, 0, F, K, 2, 1, bias, 0, out, 0, col, 0);
        Conv2d.forward(gemm, in, 0, C, H, W, N, weight, 0, F, 1, 1, 0, null, 0, out, 0, null, 0);
        BatchNorm.inference(in, 0, C, HW, N, gamma, 0, beta, 0, mean, 0, var, 0, 1e-5f, nchw, 0, true, out2, 0);
        BatchNorm.inference(out2, 0, C, HW, N, gamma, 0, beta, 0, mean, 0, var, 0, 1e-5f, null, 0, false, out2, 0);
        Elementwise.addRelu(in, 0, nchw, 0, C, HW, N, true, out2, 0);
        Elementwise.biasAddRelu(in, 0, C, HW, N, bias, 0, nchw, 0, true, out2, 0);
        LayerNorm.forward(in, 0, C, HW, N, gamma, 0, beta, 0, 1e-5f, out2, 0, stats, 0, stats2, 0);
        GroupNorm.forward(in, 0, C, HW, N, GROUPS, gamma, 0, beta, 0, 1e-5f, out2, 0, stats, 0, stats2, 0);
        Activations.relu(out2, 0, C, HW, N);
        Activations.relu(in, 0, C, HW, N, out2, 0);
        Activations.gelu(in, 0, C, HW, N, out2, 0);
        Activations.geluTanh(in, 0, C, HW, N, out2, 0);
        Pooling.maxPool(in, 0, C, H, W, N, 3, 2, 1, out2, 0);
        Pooling.averagePool(in, 0, C, H, W, N, 3, 2, 1, out2, 0);
        Pooling.globalAveragePool(in, 0, C, HW, N, out2, 0);
        Dense.forward(gemm, features, 0, C * HW, N, denseWeight, 0, UNITS, denseBias, 0, dense, 0);
        Init.norm(out2, 0, out2, 0, C);
        Init.uniform(random, out2, 0, 16, 1);
        callEveryTrainingKernel();
    }

    /** Every training kernel once; each gradient buffer is overwritten before it is accumulated into. */
    private void callEveryTrainingKernel() {
        Conv2d.backward(gemm, in, 0, C, H, W, N, weight, 0, F, K, 2, 1, grad, 0, dWeight, 0, dBias, 0, dIn, 0, false,
                col, 0);
        Conv2d.backward(gemm, in, 0, C, H, W, N, weight, 0, F, K, 2, 1, grad, 0, null, 0, null, 0, dIn, 0, true,
                col, 0);
        Conv2d.backward(gemm, in, 0, C, H, W, N, weight, 0, F, 1, 1, 0, grad, 0, dWeight, 0, null, 0, dIn, 0, true,
                null, 0);
        Conv2d.col2im(col, 0, C, H, W, N, K, 2, 1, dIn, 0, true);
        // Stride 1, same size: the transposed weight gradient and the input gradient as a convolution; with chunks
        // of one image; and for a batch of one, the fallbacks (plain weight gradient, col2im).
        Conv2d.forward(gemm, in, 0, C, H, W, N, weight, 0, F, K, 1, 1, bias, 0, out, 0, colSame, 0);
        Conv2d.backward(gemm, in, 0, C, H, W, N, weight, 0, F, K, 1, 1, grad, 0, dWeight, 0, dBias, 0, dIn, 0, false,
                colSame, 0);
        Conv2d.forward(gemm, in, 0, C, H, W, N, weight, 0, F, K, 1, 1, null, 0, out, 0, colSame, 0, 1);
        Conv2d.backward(gemm, in, 0, C, H, W, N, weight, 0, F, K, 1, 1, grad, 0, dWeight, 0, null, 0, dIn, 0, true,
                colSame, 0, 1);
        Conv2d.backward(gemm, in, 0, C, H, W, N, weight, 0, F, K, 2, 1, grad, 0, dWeight, 0, null, 0, dIn, 0, true,
                col, 0, 1);
        Conv2d.backward(gemm, in, 0, C, H, W, 1, weight, 0, F, K, 1, 1, grad, 0, dWeight, 0, null, 0, dIn, 0, false,
                colSame, 0);
        BatchNorm.trainingForward(in, 0, C, HW, N, gamma, 0, beta, 0, runningMean, 0, runningVar, 0, 0.1f, 1e-5f,
                saveMean, 0, saveRstd, 0, nchw, 0, true, out2, 0);
        BatchNorm.trainingForward(in, 0, C, HW, N, gamma, 0, beta, 0, null, 0, null, 0, 0.1f, 1e-5f,
                saveMean, 0, saveRstd, 0, null, 0, false, out2, 0);
        BatchNorm.backward(in, 0, C, HW, N, gamma, 0, saveMean, 0, saveRstd, 0, grad, 0, dGamma, 0, dBeta, 0,
                dIn, 0, false);
        BatchNorm.backward(in, 0, C, HW, N, gamma, 0, saveMean, 0, saveRstd, 0, grad, 0, null, 0, null, 0,
                dIn, 0, true);
        LayerNorm.forward(in, 0, C, HW, N, gamma, 0, beta, 0, 1e-5f, out2, 0, stats, 0, stats2, 0);
        LayerNorm.backward(in, 0, C, HW, N, gamma, 0, stats, 0, stats2, 0, grad, 0, dGamma, 0, dBeta, 0,
                dIn, 0, true);
        GroupNorm.forward(in, 0, C, HW, N, GROUPS, gamma, 0, beta, 0, 1e-5f, out2, 0, stats, 0, stats2, 0);
        GroupNorm.backward(in, 0, C, HW, N, GROUPS, gamma, 0, stats, 0, stats2, 0, grad, 0, dGamma, 0, dBeta, 0,
                dIn, 0, true);
        Activations.relu(in, 0, C, HW, N, out2, 0);
        Activations.reluBackward(out2, 0, grad, 0, C, HW, N, dIn, 0, false);
        Activations.reluBackward(out2, 0, grad, 0, C, HW, N, dIn, 0, true);
        Activations.geluBackward(in, 0, grad, 0, C, HW, N, dIn, 0, true);
        Activations.geluTanhBackward(in, 0, grad, 0, C, HW, N, dIn, 0, true);
        Elementwise.accumulate(grad, 0, C, HW, N, dIn, 0, true);
        Elementwise.accumulate(grad, 0, C, HW, N, dIn, 0, false);
        Elementwise.biasGradient(grad, 0, F, HW, N, dBias, 0);
        Pooling.maxPoolBackward(in, 0, C, H, W, N, 3, 2, 1, grad, 0, dIn, 0, false);
        Pooling.maxPoolBackward(in, 0, C, H, W, N, 3, 2, 1, grad, 0, dIn, 0, true);
        Pooling.averagePoolBackward(C, H, W, N, 3, 2, 1, grad, 0, dIn, 0, true);
        Pooling.averagePoolBackward(C, H, W, N, 3, 2, 1, grad, 0, dIn, 0, false);
        Pooling.globalAveragePoolBackward(C, HW, N, grad, 0, dIn, 0, true);
        Pooling.globalAveragePoolBackward(C, HW, N, grad, 0, dIn, 0, false);
        Dense.backward(gemm, features, 0, C * HW, N, denseWeight, 0, UNITS, grad, 0, dDenseWeight, 0, dDenseBias, 0,
                dFeatures, 0, false);
        Dense.backward(gemm, features, 0, C * HW, N, denseWeight, 0, UNITS, grad, 0, dDenseWeight, 0, null, 0,
                dFeatures, 0, true);
        Dense.backward(gemm, features, 0, C * HW, N, denseWeight, 0, UNITS, grad, 0, null, 0, null, 0,
                null, 0, true);
        Layout.unflatten(dFeatures, 0, C, H, W, N, dIn, 0, true);
        Layout.unflatten(dFeatures, 0, C, H, W, N, dIn, 0, false);
        Layout.flatten(in, 0, C, H, W, N, dFeatures, 0, true);
        Layout.flatten(in, 0, C, H, W, N, dFeatures, 0, false);
    }
}
