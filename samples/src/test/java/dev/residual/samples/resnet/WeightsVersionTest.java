package dev.residual.samples.resnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.residual.runtime.Tensor;
import dev.residual.runtime.Threads;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.optim.LearningRate;
import dev.residual.runtime.optim.Sgd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compiled model's convolutions keep each layer's weights packed and, while the model's {@code weightsVersion} is
 * the one a packing was made at, reuse it without comparing the weights: so every way the weights change must be
 * seen. Each case runs batch 1 (the stages' direct kernels: row bands, and across filters) and compares, bit for bit,
 * with a fresh model given the same weights, whose layers are packed for the first time.
 */
class WeightsVersionTest {

    private static final Gemm GEMM = Threads.gemm(2);

    private static float[] image() {
        float[] x = new float[ResNet20Net.INPUT_SIZE];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(0.37 * i);
        }
        return x;
    }

    private static float[] forward(ResNet20Net model) {
        float[] logits = new float[ResNet20Net.OUTPUT_SIZE];
        model.forward(1, image(), logits);
        return logits;
    }

    @Test
    void initializeAndLoadAreSeen(@TempDir Path dir) throws Exception {
        Path third = dir.resolve("third.safetensors");
        try (ResNet20Net seed3 = new ResNet20Net(GEMM, 3)) {
            seed3.save(third);
        }
        try (ResNet20Net model = new ResNet20Net(GEMM, 1); ResNet20Net seed2 = new ResNet20Net(GEMM, 2);
             ResNet20Net seed3 = new ResNet20Net(GEMM, 3)) {
            float[] first = forward(model);
            assertArrayEquals(first, forward(model), "unchanged");
            model.initialize(2);
            float[] second = forward(model);
            assertFalse(Arrays.equals(first, second), "new weights, new logits");
            assertArrayEquals(forward(seed2), second, "initialize(2) is seen");
            model.load(third);
            assertArrayEquals(forward(seed3), forward(model), "load is seen");
        }
    }

    @Test
    void aTrainingStepIsSeen(@TempDir Path dir) throws Exception {
        Path trained = dir.resolve("trained.safetensors");
        try (ResNet20Net model = new ResNet20Net(GEMM, 1)) {
            model.setOptimizer(new Sgd(0.9, 5e-4), LearningRate.constant(0.1));
            float[] before = forward(model);
            model.trainStep(1, image(), new int[] {3});
            float[] after = forward(model);
            assertFalse(Arrays.equals(before, after), "the step changed the logits");
            model.save(trained);
            try (ResNet20Net fresh = new ResNet20Net(GEMM, 9)) {
                fresh.load(trained);
                assertArrayEquals(forward(fresh), after, "the model after its step against its weights loaded fresh");
            }
        }
    }

    @Test
    void writesThroughAHandedOutViewAreSeen() {
        try (ResNet20Net model = new ResNet20Net(GEMM, 1); ResNet20Net twin = new ResNet20Net(GEMM, 1)) {
            float[] before = forward(model); // packs every layer at the model's version
            for (ResNet20Net m : new ResNet20Net[] {model, twin}) {
                for (Tensor weight : m.parameters()) {
                    if (weight.shape().length == 4 && weight.shape()[2] == 3) { // every 3×3 convolution
                        weight.set(weight.size() - 1, weight.get(weight.size() - 1) + 0.5f);
                    }
                }
            }
            float[] after = forward(model);
            assertFalse(Arrays.equals(before, after), "the written weights changed the logits");
            assertArrayEquals(forward(twin), after, "the model against its twin, written before its first pass");
        }
    }

    @Test
    void aNewModelWhereAClosedOneWasPacksItsOwn() {
        float[] reference;
        try (ResNet20Net seed2 = new ResNet20Net(GEMM, 2)) {
            reference = forward(seed2);
        }
        for (int round = 0; round < 3; round++) {
            // The closed model's memory may be given to the next: a packing of its weights must not be taken.
            try (ResNet20Net seed1 = new ResNet20Net(GEMM, 1)) {
                forward(seed1);
            }
            try (ResNet20Net seed2 = new ResNet20Net(GEMM, 2)) {
                assertArrayEquals(reference, forward(seed2), "round " + round);
            }
        }
    }
}
