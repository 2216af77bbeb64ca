package dev.residual.samples.parity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.Tensor;
import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.io.CheckpointMismatchException;
import dev.residual.runtime.io.Dtype;
import dev.residual.runtime.io.Safetensors;
import dev.residual.runtime.io.SafetensorsFile;
import dev.residual.runtime.optim.AdamW;
import dev.residual.runtime.optim.LearningRate;
import dev.residual.runtime.optim.Sgd;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training as a user relies on it: bad labels and non-finite losses are clear errors that change nothing; a
 * checkpoint resumes training exactly; training lowers the loss; evaluation uses running statistics.
 */
class TrainingContractTest {

    @TempDir
    Path temp;

    private static float[][] state(SmallResNetNet model) {
        return model.stateDict().stream().map(Tensor::toArray).toArray(float[][]::new);
    }

    private static SmallResNetNet model(long seed) throws IOException {
        SmallResNetNet model = new SmallResNetNet(Backends.defaultGemm(), seed);
        model.load(Golden.file("small_resnet.safetensors"));
        model.setOptimizer(new Sgd(0.9, 5e-4), LearningRate.constant(0.05));
        return model;
    }

    private static float[] input() throws IOException {
        return Golden.floats("small_resnet.train.safetensors", "input");
    }

    @Test
    void labelOutOfRangeNamesTheSampleAndChangesNothing() throws IOException {
        try (SmallResNetNet model = model(1)) {
            float[][] before = state(model);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.trainStep(4, input(), new int[] {0, 1, 5, 2}));
            assertEquals("labels[2] = 5 is not a class index; the model has 5 classes, 0 to 4", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> model.trainStep(4, input(), new int[] {0, -1, 1, 2}));
            assertThrows(IllegalArgumentException.class, () -> model.trainStep(4, input(), new int[] {0, 1}));
            assertArrayEquals(before, state(model));
            assertEquals(0, model.step());
        }
    }

    @Test
    void nonFiniteLossIsReportedAndChangesNothing() throws IOException {
        try (SmallResNetNet model = model(1)) {
            float[] poisoned = input();
            poisoned[17] = Float.NaN;
            float[][] before = state(model);
            ArithmeticException e = assertThrows(ArithmeticException.class,
                    () -> model.trainStep(4, poisoned, new int[] {0, 1, 2, 3}));
            assertTrue(e.getMessage().contains("training step 1: the loss is NaN"), e.getMessage());
            assertArrayEquals(before, state(model), "parameters and running statistics are unchanged");
            assertEquals(0, model.step());
            model.trainStep(4, input(), new int[] {0, 1, 2, 3}); // and training goes on with good data
            assertEquals(1, model.step());
        }
    }

    @Test
    void oneGradientByNameIsTheSameViewAsInTheList() throws IOException {
        try (SmallResNetNet model = model(1)) {
            model.trainStep(4, input(), new int[] {0, 1, 2, 3});
            Tensor gradient = model.gradient("stem.0.weight");
            Tensor listed = model.gradients().stream().filter(t -> t.name().equals("grad.stem.0.weight")).findFirst()
                    .orElseThrow();
            assertEquals(listed, gradient);
            assertTrue(gradient.norm() > 0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.gradient("stem.1.running_mean"));
            assertTrue(e.getMessage().contains("running statistic"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> model.gradient("stem.9.weight"));
        }
    }

    @Test
    void trainStepWithoutOptimizerSaysWhatToDo() throws IOException {
        try (SmallResNetNet model = new SmallResNetNet()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> model.trainStep(4, input(), new int[] {0, 1, 2, 3}));
            assertTrue(e.getMessage().contains("setOptimizer"), e.getMessage());
        }
    }

    @Test
    void resumingFromACheckpointContinuesExactly() throws IOException {
        int[] labels = {3, 3, 2, 3};
        Path checkpoint = temp.resolve("step2.safetensors");
        float[] uninterrupted = new float[3];
        try (SmallResNetNet model = new SmallResNetNet()) {
            model.setOptimizer(new AdamW(0.01), LearningRate.constant(1e-3));
            model.load(Golden.file("small_resnet.safetensors"));
            model.trainStep(4, input(), labels);
            model.trainStep(4, input(), labels);
            model.saveCheckpoint(checkpoint);
            for (int i = 0; i < 3; i++) {
                uninterrupted[i] = model.trainStep(4, input(), labels);
            }
        }
        try (SmallResNetNet model = new SmallResNetNet(Backends.defaultGemm(), 12345)) {
            model.setOptimizer(new AdamW(0.01), LearningRate.constant(1e-3));
            model.loadCheckpoint(checkpoint);
            assertEquals(2, model.step());
            float[] resumed = new float[3];
            for (int i = 0; i < 3; i++) {
                resumed[i] = model.trainStep(4, input(), labels);
            }
            assertArrayEquals(uninterrupted, resumed, "bit-identical continuation");
        }
    }

    /**
     * What the demo does between epochs — an evaluation pass (inference mode, a full and a partial batch) and a
     * checkpoint — must not touch what the next training step reads: two models trained on the same batches, one
     * with those calls in between, stay bit-identical.
     */
    @Test
    void evaluationAndCheckpointBetweenStepsChangeNothing() throws IOException {
        int[] labels = {3, 0, 2, 1};
        float[] other = input().clone();
        for (int i = 0; i < other.length; i++) {
            other[i] = -other[i] * 0.5f;
        }
        float[] logits = new float[4 * 5];
        try (SmallResNetNet plain = model(1); SmallResNetNet interrupted = model(1)) {
            float[] plainLosses = new float[4], interruptedLosses = new float[4];
            for (int step = 0; step < 4; step++) {
                plainLosses[step] = plain.trainStep(4, input(), labels);
                interruptedLosses[step] = interrupted.trainStep(4, input(), labels);
                interrupted.forward(4, other, logits);
                interrupted.forward(3, other, logits);
                interrupted.saveCheckpoint(temp.resolve("between.safetensors"));
            }
            assertArrayEquals(plainLosses, interruptedLosses);
            assertArrayEquals(state(plain), state(interrupted));
            assertEquals(plain.step(), interrupted.step());
        }
    }

    @Test
    void checkpointFromAnotherOptimizerIsRejectedAndChangesNothing() throws IOException {
        Path checkpoint = temp.resolve("adamw.safetensors");
        try (SmallResNetNet model = model(1)) {
            model.setOptimizer(new AdamW(0.01), LearningRate.constant(1e-3));
            model.trainStep(4, input(), new int[] {0, 1, 2, 3});
            model.saveCheckpoint(checkpoint);
        }
        try (SmallResNetNet model = model(2)) { // SGD with momentum: one state slot, not two
            model.trainStep(4, input(), new int[] {0, 1, 2, 3});
            float[][] before = state(model);
            CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class,
                    () -> model.loadCheckpoint(checkpoint));
            assertTrue(e.getMessage().contains("optimizer.1."), e.getMessage());
            assertArrayEquals(before, state(model));
            assertEquals(1, model.step());
        }
    }

    @Test
    void checkpointWhoseStepIsNotOneI64IsRejectedAndChangesNothing() throws IOException {
        Path good = temp.resolve("good.safetensors");
        Path bad = temp.resolve("f64-step.safetensors");
        try (SmallResNetNet model = model(1)) {
            model.trainStep(4, input(), new int[] {0, 1, 2, 3});
            model.saveCheckpoint(good);
        }
        // The same checkpoint with its step written as an F64, as a hand-rolled writer might: eight bytes like an I64.
        try (SafetensorsFile in = SafetensorsFile.open(good)) {
            List<Safetensors.Item> items = new ArrayList<>();
            for (SafetensorsFile.Entry entry : in.entries().values()) {
                items.add(entry.name().equals("optimizer.step")
                        ? new Safetensors.Item(entry.name(), Dtype.F64, new long[0],
                                MemorySegment.ofArray(new double[] {1}))
                        : new Safetensors.Item(entry.name(), entry.dtype(), entry.shape(), in.bytes(entry.name())));
            }
            Safetensors.writeItems(bad, items, in.metadata());
        }
        try (SmallResNetNet model = model(2)) {
            model.trainStep(4, input(), new int[] {0, 1, 2, 3});
            model.trainStep(4, input(), new int[] {0, 1, 2, 3});
            float[][] before = state(model);
            IOException e = assertThrows(IOException.class, () -> model.loadCheckpoint(bad));
            assertTrue(e.getMessage().contains("optimizer.step must be one I64 value"), e.getMessage());
            assertArrayEquals(before, state(model));
            assertEquals(2, model.step());
        }
    }

    @Test
    void weightsOnlyFileIsNotACheckpoint() throws IOException {
        try (SmallResNetNet model = model(1)) {
            IOException e = assertThrows(IOException.class,
                    () -> model.loadCheckpoint(Golden.file("small_resnet.safetensors")));
            assertTrue(e.getMessage().contains("weights only"), e.getMessage());
        }
    }

    @Test
    void trainingLowersTheLossAndEvaluationUsesRunningStatistics() throws IOException {
        try (SmallResNetNet model = model(1)) {
            int[] labels = {0, 1, 2, 3};
            float first = model.trainStep(4, input(), labels);
            float last = first;
            for (int i = 0; i < 30; i++) {
                last = model.trainStep(4, input(), labels);
            }
            assertTrue(last < first / 4, "loss " + first + " → " + last);
            // evaluation (forward) is deterministic per sample: batch statistics would mix the samples
            float[] all = new float[4 * 5], one = new float[5];
            model.forward(4, input(), all);
            model.forward(1, Arrays.copyOf(input(), SmallResNetNet.INPUT_SIZE), one);
            assertArrayEquals(Arrays.copyOf(all, 5), one, 1e-5f);
        }
    }
}
