package dev.residual.samples.parity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.Layer;
import dev.residual.runtime.Tensor;
import dev.residual.runtime.io.CheckpointMismatchException;
import dev.residual.runtime.io.SafetensorsFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user relies on beyond the numbers: bad arguments and bad checkpoints are clear exceptions that leave the
 * model as it was; checkpoints round-trip; layer views show shapes, outputs and parameters; a seed reproduces a model.
 */
class ModelContractTest {

    @TempDir
    Path temp;

    private static float[][] snapshot(SmallResNetNet model) {
        return model.stateDict().stream().map(Tensor::toArray).toArray(float[][]::new);
    }

    @Test
    void batchOutOfRangeIsRejected() {
        try (SmallResNetNet model = new SmallResNetNet()) {
            float[] input = new float[5 * SmallResNetNet.INPUT_SIZE], output = new float[5 * SmallResNetNet.OUTPUT_SIZE];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(0, input, output));
            assertTrue(e.getMessage().contains("1 to 4"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> model.forward(5, input, output));
        }
    }

    @Test
    void buffersTooSmallAreRejectedBeforeAnyWork() {
        try (SmallResNetNet model = new SmallResNetNet()) {
            float[] output = new float[2 * SmallResNetNet.OUTPUT_SIZE];
            Arrays.fill(output, 7f);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(2, new float[2 * SmallResNetNet.INPUT_SIZE - 1], output));
            assertTrue(e.getMessage().startsWith("input holds 485 floats, but 486 are needed"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(3, new float[3 * SmallResNetNet.INPUT_SIZE], output));
            assertTrue(e.getMessage().startsWith("output holds 10 floats, but 15 are needed"), e.getMessage());
            assertEquals(7f, output[0]);
            assertEquals(7f, output[9]);
        }
    }

    @Test
    void checkpointOfAnotherModelIsRejectedAndChangesNothing() {
        try (SmallResNetNet model = new SmallResNetNet()) {
            float[][] before = snapshot(model);
            CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class,
                    () -> model.load(Golden.file("ops_net.safetensors")));
            assertTrue(e.getMessage().contains("stem.0.weight"), e.getMessage()); // missing
            assertTrue(e.getMessage().contains("a.0.weight"), e.getMessage()); // unexpected
            assertArrayEquals(before, snapshot(model));
        }
    }

    @Test
    void truncatedCheckpointIsRejectedAndChangesNothing() throws IOException {
        byte[] good = Files.readAllBytes(Golden.file("small_resnet.safetensors"));
        Path truncated = Files.write(temp.resolve("cut.safetensors"), Arrays.copyOf(good, good.length - 100));
        try (SmallResNetNet model = new SmallResNetNet()) {
            float[][] before = snapshot(model);
            SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> model.load(truncated));
            assertTrue(e.getMessage().contains(truncated.toString()), e.getMessage());
            assertArrayEquals(before, snapshot(model));
        }
    }

    @Test
    void missingCheckpointFileSaysSo() {
        try (SmallResNetNet model = new SmallResNetNet()) {
            IOException e = assertThrows(IOException.class, () -> model.load(temp.resolve("nope.safetensors")));
            assertTrue(e.getMessage().contains("nope.safetensors"), e.getMessage());
        }
    }

    @Test
    void saveThenLoadReproducesTheOutputsExactly() throws IOException {
        float[] input = Golden.floats("small_resnet.io.safetensors", "input");
        float[] first = new float[3 * SmallResNetNet.OUTPUT_SIZE], second = new float[first.length];
        Path file = temp.resolve("model.safetensors");
        try (SmallResNetNet model = new SmallResNetNet(dev.residual.runtime.gemm.Backends.defaultGemm(), 42)) {
            model.load(Golden.file("small_resnet.safetensors"));
            model.forward(3, input, first);
            model.save(file);
        }
        try (SmallResNetNet model = new SmallResNetNet(dev.residual.runtime.gemm.Backends.defaultGemm(), 7)) {
            model.load(file);
            model.forward(3, input, second);
        }
        assertArrayEquals(first, second);
    }

    @Test
    void layerViewsShowShapesOutputsAndParameters() throws IOException {
        try (SmallResNetNet model = new SmallResNetNet()) {
            model.load(Golden.file("small_resnet.safetensors"));
            float[] input = Golden.floats("small_resnet.io.safetensors", "input");
            float[] output = new float[3 * SmallResNetNet.OUTPUT_SIZE];
            model.forward(3, input, output);
            Layer stem = model.stem();
            assertEquals("stem", stem.name());
            assertArrayEquals(new int[] {8, 9, 9}, stem.shape());
            assertArrayEquals(new int[] {8, 3, 9, 9}, stem.output().shape());
            assertTrue(Arrays.stream(toDouble(stem.output().toArray())).allMatch(v -> v >= 0), "stem ends in a ReLU");
            assertArrayEquals(new int[] {8, 3, 3, 3}, stem.parameter("0.weight").shape());
            assertEquals(List.of("stem.0.weight", "stem.1.weight", "stem.1.bias", "stem.1.running_mean",
                    "stem.1.running_var"), stem.parameters().stream().map(Tensor::name).toList());
            // the logits layer's output, transposed, is the forward's output
            Tensor logits = model.logits().output();
            assertArrayEquals(new int[] {5, 3}, logits.shape());
            assertEquals(output[SmallResNetNet.OUTPUT_SIZE + 2], logits.get(2L * 3 + 1));
            assertEquals(5, model.layers().size());
        }
    }

    @Test
    void aSeedReproducesTheInitialization() {
        try (SmallResNetNet a = new SmallResNetNet(dev.residual.runtime.gemm.Backends.defaultGemm(), 3);
             SmallResNetNet b = new SmallResNetNet(dev.residual.runtime.gemm.Backends.defaultGemm(), 3);
             SmallResNetNet c = new SmallResNetNet(dev.residual.runtime.gemm.Backends.defaultGemm(), 4)) {
            assertArrayEquals(snapshot(a), snapshot(b));
            assertTrue(!Arrays.deepEquals(snapshot(a), snapshot(c)));
            float[] weight = a.tensor("stage2.0.conv1.0.weight").toArray(); // fan-in 8·3·3 = 72
            double bound = 1 / Math.sqrt(72);
            assertTrue(Arrays.stream(toDouble(weight)).allMatch(v -> Math.abs(v) <= bound));
            assertTrue(Arrays.stream(toDouble(weight)).anyMatch(v -> Math.abs(v) > bound * 0.9), "fills the range");
            assertTrue(Arrays.stream(toDouble(a.tensor("stem.1.weight").toArray())).allMatch(v -> v == 1));
            assertTrue(Arrays.stream(toDouble(a.tensor("stem.1.running_var").toArray())).allMatch(v -> v == 1));
        }
    }

    private static double[] toDouble(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
