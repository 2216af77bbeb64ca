package dev.residual.samples.segmentation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The synthetic task and the metrics the segmentation program reports. */
class ShapesTest {

    private static final int PIXELS = Shapes.SIZE * Shapes.SIZE;

    @Test
    void theSameSeedDrawsTheSameImagesAndEveryClassOccurs() {
        int n = 64;
        float[] images = new float[n * PIXELS], again = new float[n * PIXELS];
        int[] labels = new int[n * PIXELS], labelsAgain = new int[n * PIXELS];
        Shapes.batch(new SplittableRandom(3), images, labels, n);
        Shapes.batch(new SplittableRandom(3), again, labelsAgain, n);
        assertArrayEquals(images, again);
        assertArrayEquals(labels, labelsAgain);
        long[] counts = new long[Shapes.CLASSES];
        double[] brightness = new double[Shapes.CLASSES];
        for (int p = 0; p < labels.length; p++) {
            counts[labels[p]]++;
            brightness[labels[p]] += images[p];
        }
        for (int c = 0; c < Shapes.CLASSES; c++) {
            assertTrue(counts[c] > PIXELS, Shapes.NAMES[c] + " covers " + counts[c] + " pixels of 64 images");
        }
        // shapes stand out from the background, but no shape class is brighter than another: only outlines differ
        double circle = brightness[1] / counts[1], square = brightness[2] / counts[2];
        double triangle = brightness[3] / counts[3], background = brightness[0] / counts[0];
        assertTrue(Math.min(circle, Math.min(square, triangle)) > background + 0.5);
        assertTrue(Math.abs(circle - square) < 0.1 && Math.abs(square - triangle) < 0.1);
    }

    @Test
    void outlines() {
        assertTrue(Shapes.inside(1, 0, 4, 4) && !Shapes.inside(1, 3, 3, 4));
        assertTrue(Shapes.inside(2, 3, 3, 4) && !Shapes.inside(2, 4, 0, 4));
        assertTrue(Shapes.inside(3, -4, 0, 4) && !Shapes.inside(3, -4, 1, 4) && Shapes.inside(3, 4, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> Shapes.inside(0, 0, 0, 4));
    }

    @Test
    void confusionGivesAccuracyAndIoU() {
        // 2 images of 2 pixels, 3 classes; scores N·C·H·W: per image, each class's row of 2 pixels
        float[] scores = {
            5, 0,  0, 1,  0, 9,   // image 0 predicts class 0, then class 2
            0, 0,  0, 3,  1, 0    // image 1 predicts class 2, then class 1
        };
        int[] labels = {0, 2, 2, 0};
        Confusion confusion = new Confusion(3);
        confusion.add(scores, labels, 2, 2);
        assertEquals(0.75, confusion.pixelAccuracy(), 1e-12);
        assertEquals(0.5, confusion.iou(0), 1e-12);        // TP 1, FN 1
        assertEquals(0.0, confusion.iou(1), 1e-12);        // FP 1
        assertEquals(1.0, confusion.iou(2), 1e-12);
        assertEquals(0.5, confusion.meanIoU(), 1e-12);
        assertTrue(Double.isNaN(new Confusion(2).iou(1)));
        assertThrows(IllegalArgumentException.class, () -> confusion.add(scores, new int[] {0, 3, 0, 0}, 2, 2));
    }
}
