package dev.residual.samples.differential;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.residual.runtime.Tensor;
import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.interpreter.Interpreter;
import dev.residual.samples.resnet.ResNet20Net;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sample's ResNet-20: generated code and the interpreter of its graph resource agree (see {@link Agreement}). */
class ResNet20DifferentialTest {

    @Test
    void generatedAndInterpretedResNet20Agree() throws Throwable {
        try (ResNet20Net model = new ResNet20Net(Backends.defaultGemm(), 7L);
             Interpreter interpreter = Interpreter.of(ResNet20Net.class, model.gemm(), 7L)) {
            assertEquals(ResNet20Net.INPUT_SIZE, interpreter.inputSize());
            assertEquals(ResNet20Net.BATCH, interpreter.batchCapacity());
            Agreement.check(model, interpreter, 6, 2, 11L);
        }
    }

    /** Batches of one and two take the generated code's small-batch kernels, which the interpreter does not have. */
    @Test
    void smallBatchesAgree() {
        try (ResNet20Net model = new ResNet20Net(Backends.defaultGemm(), 3L);
             Interpreter interpreter = Interpreter.of(ResNet20Net.class, model.gemm(), 3L)) {
            interpreter.copyFrom(model);
            SplittableRandom random = new SplittableRandom(8);
            for (int n = 1; n <= 2; n++) {
                float[] input = new float[n * ResNet20Net.INPUT_SIZE];
                for (int i = 0; i < input.length; i++) {
                    input[i] = (float) random.nextDouble(-1, 1);
                }
                float[] generated = new float[n * ResNet20Net.OUTPUT_SIZE];
                float[] interpreted = new float[generated.length];
                for (int pass = 0; pass < 2; pass++) { // the second pass reuses the packed weights
                    model.forward(n, input, generated);
                    interpreter.forward(n, input, interpreted);
                    Agreement.assertClose("batch " + n + ", pass " + pass, generated, interpreted);
                }
            }
        }
    }

    @Test
    void loadsWhatTheGeneratedModelSaved(@TempDir Path dir) throws IOException {
        Path weights = dir.resolve("resnet20.safetensors");
        try (ResNet20Net model = new ResNet20Net(Backends.defaultGemm(), 4L);
             Interpreter interpreter = Interpreter.of(ResNet20Net.class, model.gemm(), 5L)) {
            model.save(weights);
            interpreter.load(weights);
            for (Tensor tensor : model.stateDict()) {
                assertArrayEquals(tensor.toArray(), interpreter.tensor(tensor.name()).toArray(), tensor.name());
            }
        }
    }

    @Test
    void parametersCopyBothWays() {
        try (ResNet20Net model = new ResNet20Net(Backends.defaultGemm(), 1L);
             Interpreter interpreter = Interpreter.of(ResNet20Net.class, model.gemm(), 2L)) {
            interpreter.copyFrom(model);
            assertEquals(model.tensor("stage3.2.conv2.1.running_var").get(5),
                    interpreter.tensor("stage3.2.conv2.1.running_var").get(5));
            interpreter.tensor("stem.0.weight").set(3, 42f);
            interpreter.copyTo(model);
            assertEquals(42f, model.tensor("stem.0.weight").get(3));
        }
    }
}
