package dev.residual.samples.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** After warm-up, a forward pass allocates nothing on the heap: no garbage per inference. */
class ForwardAllocationTest {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void resNet20ForwardAllocatesZeroBytes() {
        try (ResNet20Net model = new ResNet20Net()) {
            float[] input = new float[ResNet20Net.BATCH * ResNet20Net.INPUT_SIZE];
            for (int i = 0; i < input.length; i++) {
                input[i] = (float) Math.sin(i);
            }
            float[] output = new float[ResNet20Net.BATCH * ResNet20Net.OUTPUT_SIZE];
            for (int i = 0; i < 300; i++) { // long enough for the JIT to compile the kernels
                model.forward(1 + i % ResNet20Net.BATCH, input, output);
            }
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 20; i++) {
                model.forward(1 + i % ResNet20Net.BATCH, input, output);
            }
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            assertEquals(0, allocated, "bytes allocated by 20 forward passes");
        }
    }
}
