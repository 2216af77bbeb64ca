package dev.residual.samples.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.residual.runtime.optim.AdamW;
import dev.residual.runtime.optim.Cosine;
import dev.residual.runtime.optim.Sgd;
import dev.residual.samples.resnet.ResNet20Net;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** After warm-up, neither a forward pass nor a training step allocates on the heap: no garbage per step. */
class AllocationTest {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Batches vary from 1 to this size, as small batches keep the warm-up short. */
    private static final int SIZES = 8;

    private static float[] input() {
        float[] input = new float[ResNet20Net.BATCH * ResNet20Net.INPUT_SIZE];
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) Math.sin(i);
        }
        return input;
    }

    /** The element-wise kernels' worker threads ({@code dev.residual.runtime.ops.Workers}) started so far. */
    private static long[] workerThreadIds() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith("residual-ops-"))
                .mapToLong(Thread::threadId).toArray();
    }

    /** Bytes the given threads have allocated so far; read outside the measured window, as the call allocates. */
    private static long allocatedBy(long[] threadIds) {
        long sum = 0;
        for (long bytes : THREADS.getThreadAllocatedBytes(threadIds)) {
            sum += Math.max(0, bytes);
        }
        return sum;
    }

    @Test
    void resNet20ForwardAllocatesZeroBytes() {
        try (ResNet20Net model = new ResNet20Net()) {
            float[] input = input();
            float[] output = new float[ResNet20Net.BATCH * ResNet20Net.OUTPUT_SIZE];
            for (int i = 0; i < 300; i++) { // long enough for the JIT to compile the kernels
                model.forward(1 + i % SIZES, input, output);
            }
            long[] workers = workerThreadIds();
            long workersBefore = allocatedBy(workers);
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 20; i++) {
                model.forward(1 + i % SIZES, input, output);
            }
            assertEquals(0, THREADS.getCurrentThreadAllocatedBytes() - before, "bytes allocated by 20 forward passes");
            assertEquals(0, allocatedBy(workers) - workersBefore, "bytes the kernel workers allocated meanwhile");
        }
    }

    @Test
    void resNet20TrainStepAllocatesZeroBytes() {
        try (ResNet20Net model = new ResNet20Net()) {
            model.setOptimizer(new Sgd(0.9, 5e-4), new Cosine(0.01, 1000).withWarmup(0.1, 10));
            model.setGradientClipping(5.0);
            float[] input = input();
            int[] labels = new int[ResNet20Net.BATCH];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = i % 10;
            }
            for (int i = 0; i < 150; i++) {
                model.trainStep(2 + i % (SIZES - 1), input, labels);
            }
            long[] workers = workerThreadIds();
            long workersBefore = allocatedBy(workers);
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10; i++) {
                model.trainStep(2 + i % (SIZES - 1), input, labels);
            }
            assertEquals(0, THREADS.getCurrentThreadAllocatedBytes() - before, "bytes allocated by 10 train steps");
            assertEquals(0, allocatedBy(workers) - workersBefore, "bytes the kernel workers allocated meanwhile");
        }
    }

    @Test
    void adamWTrainStepAllocatesZeroBytes() {
        try (SmallResNetNet model = new SmallResNetNet()) {
            model.setOptimizer(new AdamW(0.01), dev.residual.runtime.optim.LearningRate.constant(1e-3));
            float[] input = new float[SmallResNetNet.BATCH * SmallResNetNet.INPUT_SIZE];
            java.util.Arrays.fill(input, 0.5f);
            int[] labels = {0, 1, 2, 3};
            for (int i = 0; i < 300; i++) {
                model.trainStep(4, input, labels);
            }
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10; i++) {
                model.trainStep(4, input, labels);
            }
            assertEquals(0, THREADS.getCurrentThreadAllocatedBytes() - before, "bytes allocated by 10 train steps");
        }
    }

    @Test
    void transformerTrainStepAllocatesZeroBytes() {
        try (TinyGptNet model = new TinyGptNet()) {
            model.setOptimizer(new AdamW(0.01), dev.residual.runtime.optim.LearningRate.constant(1e-3));
            float[] input = new float[TinyGptNet.BATCH * TinyGptNet.INPUT_SIZE];
            int[] labels = new int[TinyGptNet.BATCH * TinyGptNet.SEQUENCE_LENGTH];
            for (int i = 0; i < labels.length; i++) {
                input[i] = i % TinyGptNet.VOCABULARY;
                labels[i] = (i + 1) % TinyGptNet.CLASSES;
            }
            for (int i = 0; i < 300; i++) {
                model.trainStep(1 + i % TinyGptNet.BATCH, input, labels);
            }
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10; i++) {
                model.trainStep(1 + i % TinyGptNet.BATCH, input, labels);
            }
            assertEquals(0, THREADS.getCurrentThreadAllocatedBytes() - before, "bytes allocated by 10 train steps");
        }
    }

    @Test
    void uNetTrainStepAllocatesZeroBytes() {
        try (SmallUNetNet model = new SmallUNetNet()) {
            model.setOptimizer(new AdamW(0.01), dev.residual.runtime.optim.LearningRate.constant(1e-3));
            float[] input = new float[SmallUNetNet.BATCH * SmallUNetNet.INPUT_SIZE];
            int pixels = SmallUNetNet.LOGITS_HEIGHT * SmallUNetNet.LOGITS_WIDTH;
            int[] labels = new int[SmallUNetNet.BATCH * pixels];
            for (int i = 0; i < input.length; i++) {
                input[i] = (float) Math.sin(i);
            }
            for (int i = 0; i < labels.length; i++) {
                labels[i] = i % SmallUNetNet.LOGITS_CHANNELS;
            }
            for (int i = 0; i < 300; i++) {
                model.trainStep(1 + i % SmallUNetNet.BATCH, input, labels);
            }
            long[] workers = workerThreadIds();
            long workersBefore = allocatedBy(workers);
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10; i++) {
                model.trainStep(1 + i % SmallUNetNet.BATCH, input, labels);
            }
            assertEquals(0, THREADS.getCurrentThreadAllocatedBytes() - before, "bytes allocated by 10 train steps");
            assertEquals(0, allocatedBy(workers) - workersBefore, "bytes the kernel workers allocated meanwhile");
        }
    }
}
