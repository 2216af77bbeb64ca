package dev.residual.samples.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.Tensor;
import dev.residual.runtime.io.SafetensorsFile;
import dev.residual.runtime.model.CompiledModel;
import java.io.IOException;

/**
 * The three checks a generated model makes against its PyTorch golden file ({@code <model>.train.safetensors}, as the
 * golden scripts write it): the forward output, the loss and every gradient of one step, and every parameter and
 * buffer and the losses over 3 AdamW steps — each within {@link #TOLERANCE} of the tensor's scale. The model comes
 * loaded with the golden start state and its optimizer set.
 */
final class ParityChecks {

    static final double TOLERANCE = 1e-4;

    /** A generated class's array {@code forward}. */
    @FunctionalInterface
    interface Forward {
        void run(int n, float[] input, float[] output);
    }

    /** A generated class's array {@code trainStep}. */
    @FunctionalInterface
    interface TrainStep {
        float run(int n, float[] input, int[] labels);
    }

    private ParityChecks() {}

    static void assertClose(String what, float[] actual, float[] expected) {
        double error = Golden.relativeError(actual, expected);
        assertTrue(error <= TOLERANCE, what + ": relative error " + error);
    }

    /** {@code output} for the golden {@code input}; {@code inputSize}, {@code outputSize}: floats per sample. */
    static void forward(String file, int inputSize, int outputSize, Forward forward) throws IOException {
        float[] input = Golden.floats(file, "input");
        int n = input.length / inputSize;
        float[] output = new float[n * outputSize];
        forward.run(n, input, output);
        assertClose("output", output, Golden.floats(file, "output"));
    }

    /** {@code loss} and {@code grad.<param>} of every one of the model's {@code gradients} trainable parameters. */
    static void lossAndEveryGradient(String file, int inputSize, CompiledModel model, TrainStep step, int gradients)
            throws IOException {
        float[] input = Golden.floats(file, "input");
        int[] labels = Golden.ints(file, "labels");
        try (SafetensorsFile golden = SafetensorsFile.open(Golden.file(file))) {
            float loss = step.run(input.length / inputSize, input, labels);
            assertClose("loss", new float[] {loss}, golden.floats("loss"));
            assertEquals(gradients, model.gradients().size());
            for (Tensor gradient : model.gradients()) {
                assertClose(gradient.name(), gradient.toArray(), golden.floats(gradient.name())); // "grad.<param>"
            }
        }
    }

    /** {@code adamw.loss} and {@code adamw.<name>} of every parameter and buffer after 3 steps. */
    static void threeAdamWSteps(String file, int inputSize, CompiledModel model, TrainStep step) throws IOException {
        float[] input = Golden.floats(file, "input");
        int[] labels = Golden.ints(file, "labels");
        try (SafetensorsFile golden = SafetensorsFile.open(Golden.file(file))) {
            float[] losses = new float[3];
            for (int i = 0; i < losses.length; i++) {
                losses[i] = step.run(input.length / inputSize, input, labels);
            }
            assertClose("adamw.loss", losses, golden.floats("adamw.loss"));
            for (Tensor tensor : model.stateDict()) {
                assertClose("adamw." + tensor.name(), tensor.toArray(), golden.floats("adamw." + tensor.name()));
            }
        }
    }
}
