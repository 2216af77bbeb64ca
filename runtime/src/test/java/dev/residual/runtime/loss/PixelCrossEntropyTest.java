package dev.residual.runtime.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The per-pixel loss of a segmentation model ({@code Loss.PIXEL_CROSS_ENTROPY}) is {@link SoftmaxCrossEntropy} over
 * {@code n·H·W} columns of the channel-major scores: checked against PyTorch's definition for {@code (N, C, H, W)}
 * scores and {@code (N, H, W)} targets, written out in double — the mean over every pixel of
 * {@code logsumexp_c x[s, c, p] − x[s, label, p]}, and its gradient {@code (softmax − onehot) / (N·H·W)}.
 */
class PixelCrossEntropyTest {

    @Test
    void softmaxCrossEntropyOverPixelColumnsIsPyTorchsSegmentationLoss() {
        int n = 3, C = 4, pixels = 5 * 6;
        SplittableRandom random = new SplittableRandom(17);
        double[] nchw = new double[n * C * pixels];
        for (int i = 0; i < nchw.length; i++) {
            nchw[i] = random.nextDouble(-3, 3);
        }
        int[] labels = new int[n * pixels];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = random.nextInt(C);
        }
        double expected = 0;
        double[] expectedGradient = new double[nchw.length];
        for (int s = 0; s < n; s++) {
            for (int p = 0; p < pixels; p++) {
                double sum = 0;
                for (int c = 0; c < C; c++) {
                    sum += Math.exp(nchw[(s * C + c) * pixels + p]);
                }
                int label = labels[s * pixels + p];
                expected += Math.log(sum) - nchw[(s * C + label) * pixels + p];
                for (int c = 0; c < C; c++) {
                    double softmax = Math.exp(nchw[(s * C + c) * pixels + p]) / sum;
                    expectedGradient[(s * C + c) * pixels + p] = (softmax - (c == label ? 1 : 0)) / (n * pixels);
                }
            }
        }
        expected /= n * pixels;
        try (Arena arena = Arena.ofConfined()) {
            // channel-major, as the generated class stores activations: class c of pixel p of sample s at c·(n·HW)
            MemorySegment scores = arena.allocate((long) nchw.length * Float.BYTES);
            MemorySegment gradient = arena.allocate((long) nchw.length * Float.BYTES);
            for (int s = 0; s < n; s++) {
                for (int c = 0; c < C; c++) {
                    for (int p = 0; p < pixels; p++) {
                        scores.setAtIndex(ValueLayout.JAVA_FLOAT, (long) c * n * pixels + s * pixels + p,
                                (float) nchw[(s * C + c) * pixels + p]);
                    }
                }
            }
            float loss = SoftmaxCrossEntropy.forward(scores, 0, C, n * pixels, labels, 0f, gradient, 0);
            assertEquals(expected, loss, 1e-6 * Math.abs(expected));
            for (int s = 0; s < n; s++) {
                for (int c = 0; c < C; c++) {
                    for (int p = 0; p < pixels; p++) {
                        long at = (long) c * n * pixels + s * pixels + p;
                        float actual = gradient.getAtIndex(ValueLayout.JAVA_FLOAT, at);
                        assertEquals(expectedGradient[(s * C + c) * pixels + p], actual, 1e-8,
                                "sample " + s + ", class " + c + ", pixel " + p);
                    }
                }
            }
        }
    }
}
