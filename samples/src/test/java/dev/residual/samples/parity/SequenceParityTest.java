package dev.residual.samples.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.optim.AdamW;
import dev.residual.runtime.optim.LearningRate;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The generated 2-layer Transformer ({@link TinyGpt}) against PyTorch in float64
 * ({@code make_golden_transformer.py}): the logits of every position, the loss over every position, the gradient of
 * every parameter, and every parameter and the losses over 3 AdamW steps — all within 1e-4 of each tensor's scale.
 */
class SequenceParityTest {

    private static final String FILE = "tiny_gpt.train.safetensors";

    private static TinyGptNet start() throws IOException {
        TinyGptNet model = new TinyGptNet(dev.residual.runtime.gemm.Backends.defaultGemm(), 7);
        model.load(Golden.file("tiny_gpt.safetensors"));
        model.setOptimizer(new AdamW(0.01), LearningRate.constant(1e-3));
        return model;
    }

    private static void assertClose(String what, float[] actual, float[] expected) {
        ParityChecks.assertClose(what, actual, expected);
    }

    @Test
    void forwardGivesPyTorchsLogitsAtEveryPosition() throws IOException {
        try (TinyGptNet model = start()) {
            ParityChecks.forward(FILE, TinyGptNet.INPUT_SIZE, TinyGptNet.OUTPUT_SIZE, model::forward);
        }
    }

    @Test
    void lossAndEveryGradient() throws IOException {
        try (TinyGptNet model = start()) {
            ParityChecks.lossAndEveryGradient(FILE, TinyGptNet.INPUT_SIZE, model, model::trainStep, 30);
        }
    }

    @Test
    void threeAdamWSteps() throws IOException {
        try (TinyGptNet model = start()) {
            ParityChecks.threeAdamWSteps(FILE, TinyGptNet.INPUT_SIZE, model, model::trainStep);
        }
    }

    @Test
    void aTokenIdOutsideTheVocabularyIsAClearError() throws IOException {
        try (TinyGptNet model = start()) {
            float[] input = new float[TinyGptNet.INPUT_SIZE];
            input[4] = TinyGptNet.VOCABULARY;
            var error = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(1, input, new float[TinyGptNet.OUTPUT_SIZE]));
            assertEquals("token id 11.0 at position 4 is not a whole number in [0, 11)", error.getMessage());
        }
    }

    @Test
    void aSequenceGetsTheSameLogitsAloneOrInABatchAndNoPositionSeesTheFuture() throws IOException {
        float[] batch = Golden.floats(FILE, "input");
        int n = batch.length / TinyGptNet.SEQUENCE_LENGTH, size = TinyGptNet.OUTPUT_SIZE;
        try (TinyGptNet model = start()) {
            float[] together = new float[n * size];
            model.forward(n, batch, together);
            float[] second = java.util.Arrays.copyOfRange(batch, TinyGptNet.INPUT_SIZE, 2 * TinyGptNet.INPUT_SIZE);
            float[] alone = new float[size];
            model.forward(1, second, alone);
            assertClose("sequence 1 alone", alone, java.util.Arrays.copyOfRange(together, size, 2 * size));

            int last = TinyGptNet.SEQUENCE_LENGTH - 1, row = TinyGptNet.VOCABULARY;
            second[last] = (second[last] + 1) % TinyGptNet.VOCABULARY;
            float[] changed = new float[size];
            model.forward(1, second, changed);
            assertEquals(0, Golden.relativeError(java.util.Arrays.copyOf(changed, last * row),
                    java.util.Arrays.copyOf(alone, last * row)), "positions before the changed token");
            assertTrue(Golden.relativeError(java.util.Arrays.copyOfRange(changed, last * row, size),
                    java.util.Arrays.copyOfRange(alone, last * row, size)) > 1e-3, "the changed position");
        }
    }
}
