package dev.residual.samples.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.Tensor;
import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.io.SafetensorsFile;
import dev.residual.runtime.model.CompiledModel;
import dev.residual.runtime.optim.AdamW;
import dev.residual.runtime.optim.LearningRate;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The generated sequence models ({@link SequenceModels}: {@link TinyGpt} and five others of shapes chosen to differ —
 * odd head sizes, 1 to 7 heads, T from 1 to 13, causal and not, no positional embedding, no biases, ReLU and both
 * GELUs, a stage of two blocks, a bare attention, more classes than tokens, batches below the planned one) against
 * PyTorch in float64 ({@code make_golden_transformer.py}): the logits of every position, the loss over every
 * position, the gradient of every parameter, and every parameter and the losses over 3 AdamW steps — all within 1e-4
 * of each tensor's scale.
 */
class SequenceParityTest {

    private static final String FILE = "tiny_gpt.train.safetensors";

    private static TinyGptNet start() throws IOException {
        TinyGptNet model = new TinyGptNet(Backends.defaultGemm(), 7);
        model.load(Golden.file("tiny_gpt.safetensors"));
        return model;
    }

    /** The model with PyTorch's starting parameters and the reference's AdamW. */
    private static CompiledModel start(SequenceModels shape) throws IOException {
        CompiledModel model = shape.create(Backends.defaultGemm(), 7);
        model.load(Golden.file(shape.golden() + ".safetensors"));
        model.setOptimizer(new AdamW(0.01), LearningRate.constant(1e-3));
        return model;
    }

    private static void assertClose(String what, float[] actual, float[] expected) {
        ParityChecks.assertClose(what, actual, expected);
    }

    /** One shape's reference file and its batch: {@code n} sequences of token ids, a label per position. */
    private record Reference(SafetensorsFile file, int n, float[] input, int[] labels) implements AutoCloseable {
        static Reference of(SequenceModels shape) throws IOException {
            String name = shape.golden() + ".train.safetensors";
            SafetensorsFile file = SafetensorsFile.open(Golden.file(name));
            return new Reference(file, Math.toIntExact(file.entry("input").shape()[0]), file.floats("input"),
                    Golden.ints(name, "labels"));
        }

        float trainStep(CompiledModel model) throws Throwable {
            return SequenceModels.trainStep(model, n, input, labels);
        }

        @Override
        public void close() {
            file.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SequenceModels.class)
    void forwardGivesPyTorchsLogitsAtEveryPosition(SequenceModels shape) throws Throwable {
        try (Reference reference = Reference.of(shape); CompiledModel model = start(shape)) {
            float[] expected = reference.file().floats("output"), output = new float[expected.length];
            SequenceModels.forward(model, reference.n(), reference.input(), output);
            assertClose(shape + " output", output, expected);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SequenceModels.class)
    void lossAndEveryGradient(SequenceModels shape) throws Throwable {
        try (Reference reference = Reference.of(shape); CompiledModel model = start(shape)) {
            SafetensorsFile golden = reference.file();
            assertClose(shape + " loss", new float[] {reference.trainStep(model)}, golden.floats("loss"));
            assertEquals(golden.entries().keySet().stream().filter(name -> name.startsWith("grad.")).count(),
                    model.gradients().size(), "one gradient per PyTorch parameter");
            for (Tensor gradient : model.gradients()) {
                assertClose(shape + " " + gradient.name(), gradient.toArray(), golden.floats(gradient.name()));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SequenceModels.class)
    void threeAdamWSteps(SequenceModels shape) throws Throwable {
        try (Reference reference = Reference.of(shape); CompiledModel model = start(shape)) {
            float[] losses = new float[3];
            for (int i = 0; i < losses.length; i++) {
                losses[i] = reference.trainStep(model);
            }
            assertClose(shape + " adamw.loss", losses, reference.file().floats("adamw.loss"));
            for (Tensor tensor : model.stateDict()) {
                assertClose(shape + " adamw." + tensor.name(), tensor.toArray(),
                        reference.file().floats("adamw." + tensor.name()));
            }
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
    void tokenIdsAreCheckedAgainstTheVocabularyAndLabelsAgainstTheClasses() throws IOException {
        assertEquals(5, MixedSequenceNet.VOCABULARY);
        assertEquals(6, MixedSequenceNet.CLASSES);
        try (MixedSequenceNet model = new MixedSequenceNet(Backends.defaultGemm(), 3)) {
            model.setOptimizer(new AdamW(0.01), LearningRate.constant(1e-3));
            float[] input = new float[MixedSequenceNet.INPUT_SIZE];
            int[] labels = new int[MixedSequenceNet.SEQUENCE_LENGTH];
            labels[2] = 5; // a class, though not a token
            assertTrue(Float.isFinite(model.trainStep(1, input, labels)));
            labels[2] = 6;
            assertThrows(IllegalArgumentException.class, () -> model.trainStep(1, input, labels));
            input[3] = 5;
            var error = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(1, input, new float[MixedSequenceNet.OUTPUT_SIZE]));
            assertEquals("token id 5.0 at position 3 is not a whole number in [0, 5)", error.getMessage());
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

            int last = TinyGptNet.SEQUENCE_LENGTH - 1, row = TinyGptNet.CLASSES;
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
