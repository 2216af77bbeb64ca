package dev.residual.samples.parity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.model.CompiledModel;
import dev.residual.samples.resnet.ResNet20Net;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The generated forward pass against PyTorch (eval mode, computed in float64): weights and running statistics loaded
 * from the golden checkpoint, the same inputs, logits to 1e-4 relative.
 */
class ForwardParityTest {

    private static final double TOLERANCE = 1e-4;

    interface Forward {
        void run(int n, float[] input, float[] output);
    }

    private static void check(CompiledModel model, Forward forward, String name, int outputSize) throws IOException {
        model.load(Golden.file(name + ".safetensors"));
        float[] input = Golden.floats(name + ".io.safetensors", "input");
        float[] expected = Golden.floats(name + ".io.safetensors", "output");
        int n = expected.length / outputSize;
        assertTrue(n < model.batchCapacity(), "the golden batch should be smaller than the planned one");
        float[] output = new float[n * outputSize];
        forward.run(n, input, output);
        double error = Golden.relativeError(output, expected);
        assertTrue(error <= TOLERANCE, name + ": relative error " + error);
    }

    @Test
    void smallResNetMatchesPyTorch() throws IOException {
        try (SmallResNetNet model = new SmallResNetNet(Backends.defaultGemm(), 1)) {
            check(model, model::forward, "small_resnet", SmallResNetNet.OUTPUT_SIZE);
        }
    }

    @Test
    void resNet20MatchesPyTorch() throws IOException {
        try (ResNet20Net model = new ResNet20Net(Backends.defaultGemm(), 1)) {
            check(model, model::forward, "resnet20", ResNet20Net.OUTPUT_SIZE);
            assertEquals(272_186L, ResNet20Net.PARAMETER_COUNT);
        }
    }

    @Test
    void opsNetMatchesPyTorch() throws IOException {
        try (OpsNetNet model = new OpsNetNet(Backends.defaultGemm(), 1)) {
            check(model, model::forward, "ops_net", OpsNetNet.OUTPUT_SIZE);
        }
    }

    @Test
    void unseenNetMatchesPyTorch() throws IOException {
        try (UnseenNetNet model = new UnseenNetNet(Backends.defaultGemm(), 1)) {
            check(model, model::forward, "unseen_net", UnseenNetNet.OUTPUT_SIZE);
        }
    }

    @Test
    void javaBackendGivesTheSameLogits() throws IOException {
        try (SmallResNetNet model = new SmallResNetNet(Backends.choose("java", null, 1), 1)) {
            check(model, model::forward, "small_resnet", SmallResNetNet.OUTPUT_SIZE);
        }
    }

    @Test
    void batchOfOneEqualsTheSameSampleInABatch() throws IOException {
        try (SmallResNetNet model = new SmallResNetNet()) {
            model.load(Golden.file("small_resnet.safetensors"));
            float[] input = Golden.floats("small_resnet.io.safetensors", "input");
            float[] all = new float[3 * SmallResNetNet.OUTPUT_SIZE];
            model.forward(3, input, all);
            float[] second = new float[SmallResNetNet.INPUT_SIZE];
            System.arraycopy(input, SmallResNetNet.INPUT_SIZE, second, 0, second.length);
            float[] one = new float[SmallResNetNet.OUTPUT_SIZE];
            model.forward(1, second, one);
            float[] expected = new float[SmallResNetNet.OUTPUT_SIZE];
            System.arraycopy(all, SmallResNetNet.OUTPUT_SIZE, expected, 0, expected.length);
            assertArrayEquals(expected, one, 1e-5f);
        }
    }
}
