package dev.residual.runtime.data;

import static dev.residual.runtime.data.IdxFiles.imagesFile;
import static dev.residual.runtime.data.IdxFiles.labels;
import static dev.residual.runtime.data.IdxFiles.labelsFile;
import static dev.residual.runtime.data.IdxFiles.pixels;
import static dev.residual.runtime.data.IdxFiles.plain;
import static dev.residual.runtime.data.IdxFiles.write;
import static dev.residual.runtime.data.IdxFiles.writePair;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A data set loaded from a pair of IDX files: pairing, limits, normalization, missing files. */
class DatasetTest {

    @TempDir
    Path temp;

    @ParameterizedTest(name = "gzip {0}")
    @ValueSource(booleans = {true, false})
    void loadsAPairWithTheStandardNames(boolean gzip) throws IOException {
        writePair(temp, Dataset.Split.TRAIN, 12, 4, 5, 3, gzip);
        writePair(temp, Dataset.Split.TEST, 7, 4, 5, 3, gzip);

        Dataset train = Dataset.load(temp, Dataset.Split.TRAIN, 3, Idx.ALL, Normalization.NONE);
        Dataset test = Dataset.load(temp, Dataset.Split.TEST, 3, Idx.ALL, Normalization.NONE);

        assertEquals(12, train.size());
        assertEquals(7, test.size());
        assertArrayEquals(new int[] {1, 4, 5}, train.sampleShape());
        assertEquals(1, train.channels());
        assertEquals(20, train.sampleSize());
        assertEquals(3, train.classes());
        String name = gzip ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte";
        assertEquals(temp.resolve(name).toString(), train.imagesSource());

        byte[] pixels = pixels(12, 4, 5);
        float[] images = train.images();
        assertEquals(pixels.length, images.length);
        for (int i = 0; i < pixels.length; i++) {
            assertEquals((pixels[i] & 0xff) / 255f, images[i], 1e-7f, "pixel " + i);
        }
        byte[] labels = labels(12, 3);
        for (int i = 0; i < labels.length; i++) {
            assertEquals(labels[i], train.label(i));
        }
        assertArrayEquals(train.labels(), new int[] {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2}); // i·7 mod 3

        float[] sample = new float[22];
        train.copySample(3, sample, 2);
        for (int k = 0; k < 20; k++) {
            assertEquals(images[3 * 20 + k], sample[2 + k]);
        }
    }

    @Test
    void standardNames() {
        assertEquals("train-images-idx3-ubyte.gz", Dataset.Split.TRAIN.imagesFile());
        assertEquals("train-labels-idx1-ubyte.gz", Dataset.Split.TRAIN.labelsFile());
        assertEquals("t10k-images-idx3-ubyte.gz", Dataset.Split.TEST.imagesFile());
        assertEquals("t10k-labels-idx1-ubyte.gz", Dataset.Split.TEST.labelsFile());
    }

    @Test
    void aLimitKeepsTheFirstSamples() throws IOException {
        writePair(temp, Dataset.Split.TRAIN, 30, 3, 3, 10, true);
        Dataset all = Dataset.load(temp, Dataset.Split.TRAIN, 10, Idx.ALL, Normalization.FASHION_MNIST);
        Dataset first = Dataset.load(temp, Dataset.Split.TRAIN, 10, 8, Normalization.FASHION_MNIST);
        assertEquals(8, first.size());
        float[] allImages = all.images();
        float[] firstImages = first.images();
        for (int i = 0; i < firstImages.length; i++) {
            assertEquals(allImages[i], firstImages[i]);
        }
        assertEquals(30, Dataset.load(temp, Dataset.Split.TRAIN, 10, 1000, Normalization.NONE).size());
    }

    @Test
    void normalization() throws IOException {
        byte[] pixels = {0, (byte) 255, (byte) 128, 51};
        write(temp, Dataset.Split.TRAIN.imagesFile(), imagesFile(1, 2, 2, pixels), true);
        write(temp, Dataset.Split.TRAIN.labelsFile(), labelsFile(new byte[] {4}), true);

        Dataset data = Dataset.fashionMnist(temp, Dataset.Split.TRAIN, Idx.ALL);

        assertSame(Normalization.FASHION_MNIST, data.normalization());
        assertEquals(0.2860, Normalization.FASHION_MNIST.mean());
        assertEquals(0.3530, Normalization.FASHION_MNIST.std());
        float[] images = data.images();
        assertEquals(-0.81019830f, images[0], 1e-6f); // (0 - 0.2860) / 0.3530
        assertEquals(2.02266289f, images[1], 1e-6f); // (1 - 0.2860) / 0.3530
        assertEquals((128 / 255.0 - 0.2860) / 0.3530, images[2], 1e-6);
        assertEquals(-0.24362606f, images[3], 1e-6f); // (0.2 - 0.2860) / 0.3530
        assertEquals(images[2], Normalization.FASHION_MNIST.apply(128));

        Dataset other = Dataset.load(temp, Dataset.Split.TRAIN, 10, Idx.ALL, new Normalization(0.5, 0.25));
        assertEquals(-2f, other.images()[0], 1e-6f);
        assertEquals(2f, other.images()[1], 1e-6f);
    }

    @Test
    void measuredNormalization() throws IOException {
        // pixels 0, 255, 0, 255: mean 0.5, population std 0.5
        IdxImages images = new IdxImages("mem", 1, 2, 2, new byte[] {0, (byte) 255, 0, (byte) 255});
        Normalization measured = Normalization.measure(images);
        assertEquals(0.5, measured.mean(), 1e-12);
        assertEquals(0.5, measured.std(), 1e-12);
        Dataset data = Dataset.of(images, new IdxLabels("mem", 2, new int[] {1}), measured);
        assertArrayEquals(new float[] {-1, 1, -1, 1}, data.images());

        // 51, 102, 153, 204 → 0.2, 0.4, 0.6, 0.8: mean 0.5, std sqrt(0.05)
        Normalization steps = Normalization.measure(new IdxImages("mem", 4, 1, 1, new byte[] {51, 102,
            (byte) 153, (byte) 204}));
        assertEquals(0.5, steps.mean(), 1e-12);
        assertEquals(Math.sqrt(0.05), steps.std(), 1e-12);

        assertThrows(IllegalArgumentException.class,
                () -> Normalization.measure(new IdxImages("flat", 1, 1, 2, new byte[] {9, 9})));
        assertThrows(IllegalArgumentException.class, () -> new Normalization(0.5, 0));
        assertThrows(IllegalArgumentException.class, () -> new Normalization(Double.NaN, 1));
    }

    @Test
    void countMismatchNamesBothFilesAndCounts() throws IOException {
        Path images = write(temp, Dataset.Split.TRAIN.imagesFile(), imagesFile(6, 2, 2, pixels(6, 2, 2)), true);
        Path labels = write(temp, Dataset.Split.TRAIN.labelsFile(), labelsFile(labels(5, 10)), true);

        IdxPairMismatchException e = assertThrows(IdxPairMismatchException.class,
                () -> Dataset.load(temp, Dataset.Split.TRAIN, 10, Idx.ALL, Normalization.NONE));

        assertInstanceOf(IOException.class, e);
        assertEquals(images + " holds 6 images but " + labels + " holds 5 labels: the two files do not belong"
                + " together. Load the images and labels files of the same split (train-* with train-*, t10k-* with"
                + " t10k-*) from the same download.", e.getMessage());
        assertEquals(6, e.imageCount());
        assertEquals(5, e.labelCount());
        assertEquals(images.toString(), e.imagesSource());
        assertEquals(labels.toString(), e.labelsSource());

        // a limit below both counts does not hide it: the files' declared counts are compared
        IdxPairMismatchException limited = assertThrows(IdxPairMismatchException.class,
                () -> Dataset.load(temp, Dataset.Split.TRAIN, 10, 3, Normalization.NONE));
        assertEquals(6, limited.imageCount());
        assertEquals(5, limited.labelCount());

        // in memory too
        assertThrows(IdxPairMismatchException.class, () -> Dataset.of(new IdxImages("a", 2, 1, 1, new byte[2]),
                new IdxLabels("b", 3, new int[] {0, 1, 2}), Normalization.NONE));
    }

    @Test
    void labelOutOfRangeNamesTheIndex() throws IOException {
        writePair(temp, Dataset.Split.TEST, 20, 2, 2, 10, true);
        IdxFormatException e = assertThrows(IdxFormatException.class,
                () -> Dataset.load(temp, Dataset.Split.TEST, 5, Idx.ALL, Normalization.NONE));
        assertTrue(e.getMessage().startsWith(temp.resolve("t10k-labels-idx1-ubyte.gz") + " is not a valid IDX file:"
                + " label 7 at index 1 is outside 0..4 (5 classes)."), e.getMessage());
    }

    @Test
    void missingFileSaysWhichPathAndWhatToDo() throws IOException {
        Path empty = Files.createDirectory(temp.resolve("empty"));
        DataFileNotFoundException e = assertThrows(DataFileNotFoundException.class,
                () -> Dataset.fashionMnist(empty, Dataset.Split.TRAIN, Idx.ALL));
        assertInstanceOf(NoSuchFileException.class, e);
        String message = e.getMessage();
        assertTrue(message.startsWith(empty.resolve("train-labels-idx1-ubyte.gz") + ": no such file. "), message);
        assertTrue(message.contains("Install Debian's dataset-fashion-mnist"), message);
        assertTrue(message.contains("/usr/share/datasets/fashion-mnist"), message);
        assertTrue(message.contains("or pass --data DIR"), message);
        assertTrue(message.contains("train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,"
                + " t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz"), message);

        // the labels are there, the images are not: the images file is named
        write(empty, Dataset.Split.TRAIN.labelsFile(), labelsFile(labels(3, 10)), true);
        DataFileNotFoundException images = assertThrows(DataFileNotFoundException.class,
                () -> Dataset.fashionMnist(empty, Dataset.Split.TRAIN, Idx.ALL));
        assertEquals(empty.resolve("train-images-idx3-ubyte.gz").toString(), images.getFile());

        // a folder that does not exist is said so
        Path nowhere = temp.resolve("no/such/folder");
        DataFileNotFoundException folder = assertThrows(DataFileNotFoundException.class,
                () -> Dataset.fashionMnist(nowhere, Dataset.Split.TEST, Idx.ALL));
        assertTrue(folder.getMessage().endsWith("(gzip or plain); the folder " + nowhere
                + " does not exist."), folder.getMessage());
    }

    @Test
    void plainFilesAreFoundWhenThereIsNoGzip() throws IOException {
        write(temp, plain(Dataset.Split.TEST.imagesFile()), imagesFile(2, 1, 1, new byte[] {1, 2}), false);
        write(temp, Dataset.Split.TEST.labelsFile(), labelsFile(new byte[] {0, 1}), true); // mixed is fine
        Dataset data = Dataset.load(temp, Dataset.Split.TEST, 2, Idx.ALL, Normalization.NONE);
        assertEquals(2, data.size());
        assertTrue(data.imagesSource().endsWith("t10k-images-idx3-ubyte"), data.imagesSource());
    }

    @Test
    void loadsFromClassPathResources() throws IOException {
        Path folder = Files.createDirectories(temp.resolve("res/some-subset"));
        writePair(folder, Dataset.Split.TRAIN, 9, 3, 2, 4, true);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {temp.resolve("res").toUri().toURL()}, null)) {
            Dataset data = Dataset.loadResources(loader, "some-subset", Dataset.Split.TRAIN, 4, 5,
                    Normalization.NONE);
            assertEquals(5, data.size());
            assertArrayEquals(new int[] {1, 3, 2}, data.sampleShape());
            assertEquals("classpath:some-subset/train-images-idx3-ubyte.gz", data.imagesSource());
            assertEquals((pixels(9, 3, 2)[7] & 0xff) / 255f, data.images()[7]);

            DataFileNotFoundException e = assertThrows(DataFileNotFoundException.class,
                    () -> Dataset.loadResources(loader, "some-subset", Dataset.Split.TEST, 4, 5, Normalization.NONE));
            assertTrue(e.getMessage().startsWith("classpath:some-subset/t10k-labels-idx1-ubyte.gz: no such file."),
                    e.getMessage());
        }
    }
}
