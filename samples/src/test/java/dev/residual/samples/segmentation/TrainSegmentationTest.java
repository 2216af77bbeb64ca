package dev.residual.samples.segmentation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A tiny run of the segmentation program: the loss falls and the held-out IoU is measured and reported. */
class TrainSegmentationTest {

    @Test
    void aShortRunLowersTheLossAndReportsTheIoU() {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        // one thread: on a machine shared with other builds, two threads' spinning GEMM workers can take 5× longer
        TrainSegmentation.Result result = TrainSegmentation.run(16, 3e-3, 5, 32, 4, 1,
                new PrintStream(log, true, StandardCharsets.UTF_8));
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(result.lastLoss() < 0.8 * result.firstLoss(),
                "loss " + result.firstLoss() + " at the first step, " + result.lastLoss() + " over the last 4\n" + text);
        assertTrue(result.pixelAccuracy() > 0.5 && result.pixelAccuracy() <= 1, text);
        assertEquals(Shapes.CLASSES, result.iou().length);
        for (double iou : result.iou()) {
            assertTrue(iou >= 0 && iou <= 1, "every class occurs in 32 images, so each has an IoU: " + text);
        }
        assertTrue(result.meanIoU() > 0 && result.meanIoU() <= 1, text);
        assertTrue(text.contains("  IoU triangle   "), text);
        assertTrue(text.matches("(?s).*\\nRESULT model=UNet steps=16 train_loss=\\d+\\.\\d{4} pixel_accuracy=\\d\\.\\d{4}"
                + " mean_iou=\\d\\.\\d{4} seconds=\\d+\\.\\d\\n"), text);
    }
}
