package dev.residual.runtime.data;

import static dev.residual.runtime.data.IdxFiles.gzip;
import static dev.residual.runtime.data.IdxFiles.imagesFile;
import static dev.residual.runtime.data.IdxFiles.labels;
import static dev.residual.runtime.data.IdxFiles.labelsFile;
import static dev.residual.runtime.data.IdxFiles.pixels;
import static dev.residual.runtime.data.IdxFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Valid IDX files, gzip or plain, read back exactly. */
class IdxReadTest {

    @TempDir
    Path temp;

    @ParameterizedTest(name = "gzip {0}")
    @ValueSource(booleans = {true, false})
    void imagesReadBackExactly(boolean gzip) throws IOException {
        byte[] pixels = pixels(5, 4, 3);
        Path file = write(temp, "images", imagesFile(5, 4, 3, pixels), gzip);

        IdxImages images = Idx.readImages(file);

        assertEquals(5, images.count());
        assertEquals(5, images.declaredCount());
        assertEquals(4, images.height());
        assertEquals(3, images.width());
        assertEquals(12, images.imageSize());
        assertArrayEquals(pixels, images.pixels());
        assertEquals(file.toString(), images.source());
        // (index, row, column) → row-major, image after image, unsigned
        assertEquals(Byte.toUnsignedInt(pixels[2 * 12 + 3 * 3 + 1]), images.pixel(2, 3, 1));
    }

    @ParameterizedTest(name = "gzip {0}")
    @ValueSource(booleans = {true, false})
    void labelsReadBackExactly(boolean gzip) throws IOException {
        byte[] bytes = labels(23, 10);
        Path file = write(temp, "labels", labelsFile(bytes), gzip);

        IdxLabels labels = Idx.readLabels(file, 10);

        assertEquals(23, labels.count());
        assertEquals(10, labels.classes());
        int[] expected = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            expected[i] = bytes[i];
        }
        assertArrayEquals(expected, labels.labels());
        assertEquals(expected[7], labels.label(7));
    }

    @Test
    void pixelsAndLabelsAreUnsigned() throws IOException {
        byte[] pixels = {0, 1, (byte) 127, (byte) 128, (byte) 254, (byte) 255};
        IdxImages images = Idx.readImages(write(temp, "images", imagesFile(1, 2, 3, pixels), true));
        assertEquals(255, images.pixel(0, 1, 2));
        assertEquals(128, images.pixel(0, 1, 0));
        byte[] labelBytes = {(byte) 200, (byte) 255, 0};
        assertArrayEquals(new int[] {200, 255, 0},
                Idx.readLabels(write(temp, "labels", labelsFile(labelBytes), false), 256).labels());
    }

    @Test
    void gzipIsRecognisedByItsMagicBytesNotByItsName() throws IOException {
        byte[] pixels = pixels(2, 3, 3);
        Path gzipWithoutSuffix = write(temp, "images-idx3-ubyte", imagesFile(2, 3, 3, pixels), true);
        Path plainWithGzSuffix = write(temp, "images-idx3-ubyte.gz", imagesFile(2, 3, 3, pixels), false);
        assertArrayEquals(pixels, Idx.readImages(gzipWithoutSuffix).pixels());
        assertArrayEquals(pixels, Idx.readImages(plainWithGzSuffix).pixels());
    }

    @Test
    void aLimitKeepsTheFirstSamplesAndStillChecksTheWholeFile() throws IOException {
        byte[] pixels = pixels(10, 2, 2);
        Path file = write(temp, "images", imagesFile(10, 2, 2, pixels), true);

        IdxImages first3 = Idx.readImages(file, 3);
        assertEquals(3, first3.count());
        assertEquals(10, first3.declaredCount());
        assertArrayEquals(Arrays.copyOf(pixels, 12), first3.pixels());
        assertEquals(10, Idx.readImages(file, 1000).count());
        assertEquals(0, Idx.readImages(file, 0).count());

        IdxLabels labels = Idx.readLabels(write(temp, "labels", labelsFile(labels(10, 4)), true), 4, 6);
        assertEquals(6, labels.count());
        assertEquals(10, labels.declaredCount());

        // the samples past the limit are still read: a label out of range there is still found
        byte[] bad = labels(10, 4);
        bad[9] = 4;
        Path badFile = write(temp, "bad-labels", labelsFile(bad), true);
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Idx.readLabels(badFile, 4, 2));
        assertEquals("label 4 at index 9 is outside 0..3 (4 classes)", e.problem());

        // and so is a truncation
        byte[] cut = Arrays.copyOf(imagesFile(10, 2, 2, pixels), 16 + 39);
        Path cutFile = write(temp, "cut", cut, false);
        assertThrows(IdxFormatException.class, () -> Idx.readImages(cutFile, 1));
    }

    @Test
    void emptyFilesAreValid() throws IOException {
        assertEquals(0, Idx.readImages(write(temp, "images", imagesFile(0, 28, 28, new byte[0]), true)).count());
        assertEquals(0, Idx.readLabels(write(temp, "labels", labelsFile(new byte[0]), false), 10).count());
    }

    @Test
    void streamsReadLikeFiles() throws IOException {
        byte[] pixels = pixels(3, 2, 5);
        IdxImages images = Idx.readImages(new ByteArrayInputStream(gzip(imagesFile(3, 2, 5, pixels))),
                "resource:images", Idx.ALL);
        assertArrayEquals(pixels, images.pixels());
        assertEquals("resource:images", images.source());
        IdxLabels labels = Idx.readLabels(new ByteArrayInputStream(labelsFile(labels(3, 3))), "resource:labels", 3,
                2);
        assertEquals(2, labels.count());
    }

    @Test
    void largerThanOneBufferReadsBackExactly() throws IOException {
        // more than the first 1 MiB buffer and than the gzip buffers, so the growth path runs
        byte[] pixels = pixels(1500, 28, 28);
        Path file = write(temp, "images", imagesFile(1500, 28, 28, pixels), true);
        assertArrayEquals(pixels, Idx.readImages(file).pixels());
        assertArrayEquals(Arrays.copyOf(pixels, 1400 * 784), Idx.readImages(file, 1400).pixels());
    }

    @Test
    void argumentsAreChecked() throws IOException {
        Path file = write(temp, "labels", labelsFile(labels(3, 3)), false);
        assertThrows(IllegalArgumentException.class, () -> Idx.readLabels(file, 0));
        assertThrows(IllegalArgumentException.class, () -> Idx.readLabels(file, 3, -1));
        assertThrows(IllegalArgumentException.class, () -> Idx.readImages(file, -1));
        assertThrows(IllegalArgumentException.class, () -> new IdxImages("x", 2, 2, 2, new byte[7]));
        assertThrows(IllegalArgumentException.class, () -> new IdxLabels("x", 3, new int[] {0, 3}));
    }
}
