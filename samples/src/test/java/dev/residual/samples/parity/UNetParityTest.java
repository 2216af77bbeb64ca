package dev.residual.samples.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.residual.runtime.optim.AdamW;
import dev.residual.runtime.optim.LearningRate;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The generated U-Net ({@link SmallUNet}) against PyTorch in float64 ({@code make_golden_unet.py}): the class scores
 * of every pixel (running statistics), the per-pixel loss, the gradient of every parameter, and every parameter,
 * running statistic and loss over 3 AdamW steps — all within 1e-4 of each tensor's scale.
 */
class UNetParityTest {

    private static final String FILE = "small_unet.train.safetensors";

    private static SmallUNetNet start() throws IOException {
        SmallUNetNet model = new SmallUNetNet(dev.residual.runtime.gemm.Backends.defaultGemm(), 7);
        model.load(Golden.file("small_unet.safetensors"));
        model.setOptimizer(new AdamW(0.01), LearningRate.constant(1e-3));
        return model;
    }

    @Test
    void forwardGivesPyTorchsScoresAtEveryPixel() throws IOException {
        try (SmallUNetNet model = start()) {
            ParityChecks.forward(FILE, SmallUNetNet.INPUT_SIZE, SmallUNetNet.OUTPUT_SIZE, model::forward);
        }
    }

    @Test
    void lossAndEveryGradient() throws IOException {
        try (SmallUNetNet model = start()) {
            ParityChecks.lossAndEveryGradient(FILE, SmallUNetNet.INPUT_SIZE, model, model::trainStep, 19);
        }
    }

    @Test
    void threeAdamWSteps() throws IOException {
        try (SmallUNetNet model = start()) {
            ParityChecks.threeAdamWSteps(FILE, SmallUNetNet.INPUT_SIZE, model, model::trainStep);
        }
    }

    @Test
    void aPixelLabelOutOfRangeIsAClearError() throws IOException {
        try (SmallUNetNet model = start()) {
            int[] labels = new int[12 * 12];
            labels[37] = 4;
            var error = assertThrows(IllegalArgumentException.class,
                    () -> model.trainStep(1, new float[SmallUNetNet.INPUT_SIZE], labels));
            assertEquals("labels[37] = 4 is not a class index; the model has 4 classes, 0 to 3", error.getMessage());
        }
    }
}
