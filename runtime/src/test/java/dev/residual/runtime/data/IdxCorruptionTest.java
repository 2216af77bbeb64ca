package dev.residual.runtime.data;

import static dev.residual.runtime.data.IdxFiles.gzip;
import static dev.residual.runtime.data.IdxFiles.idx;
import static dev.residual.runtime.data.IdxFiles.imagesFile;
import static dev.residual.runtime.data.IdxFiles.labels;
import static dev.residual.runtime.data.IdxFiles.labelsFile;
import static dev.residual.runtime.data.IdxFiles.pixels;
import static dev.residual.runtime.data.IdxFiles.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every broken IDX file is an {@link IdxFormatException} (an IOException) naming the file, the problem with its
 * numbers, and what to do; never an out-of-bounds error, never a huge allocation.
 */
class IdxCorruptionTest {

    @TempDir
    Path temp;

    private int files;

    private IdxFormatException assertImagesRejected(byte[] content, boolean gzip, String... fragments)
            throws IOException {
        Path file = write(temp, "broken" + files++, content, gzip);
        return assertMessage(assertThrows(IdxFormatException.class, () -> Idx.readImages(file)), file, fragments);
    }

    private IdxFormatException assertLabelsRejected(byte[] content, boolean gzip, String... fragments)
            throws IOException {
        Path file = write(temp, "broken" + files++, content, gzip);
        return assertMessage(assertThrows(IdxFormatException.class, () -> Idx.readLabels(file, 10)), file, fragments);
    }

    private static IdxFormatException assertMessage(IdxFormatException e, Path file, String... fragments) {
        String message = e.getMessage();
        assertTrue(message.startsWith(file + " is not a valid IDX file: "), message);
        assertEquals(file.toString(), e.source());
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), "no \"" + fragment + "\" in: " + message);
        }
        assertTrue(message.endsWith("."), "ends with advice: " + message);
        return e;
    }

    private static byte[] goodImages() {
        return imagesFile(4, 3, 2, pixels(4, 3, 2)); // 16-byte header + 24 data bytes = 40
    }

    @ParameterizedTest(name = "gzip {0}")
    @ValueSource(booleans = {true, false})
    void badMagic(boolean gzip) throws IOException {
        byte[] content = goodImages();
        content[0] = 0x12;
        content[1] = 0x34;
        assertImagesRejected(content, gzip, "the magic number is 0x12340803", "two zero bytes", "0x00000803",
                "Is it an IDX file?");
        assertImagesRejected("hello, world! not IDX".getBytes(), gzip, "the magic number is 0x68656C6C");
    }

    @Test
    void unsupportedDataTypes() throws IOException {
        String[][] types = {{"09", "signed byte"}, {"0B", "16-bit int"}, {"0C", "32-bit int"},
                {"0D", "32-bit float"}, {"0E", "64-bit float"}};
        for (String[] type : types) {
            byte[] content = goodImages();
            content[2] = (byte) Integer.parseInt(type[0], 16);
            assertImagesRejected(content, true, "declares " + type[1] + " data (type byte 0x" + type[0] + ")",
                    "only unsigned byte data (0x08) is supported");
        }
        byte[] content = labelsFile(labels(3, 10));
        content[2] = 0x0D;
        assertLabelsRejected(content, false, "magic number 0x00000D01 declares 32-bit float data");
    }

    @Test
    void unknownDataType() throws IOException {
        byte[] content = goodImages();
        content[2] = 0x05;
        assertImagesRejected(content, false, "data type byte 0x05, which is not an IDX type");
    }

    @Test
    void wrongNumberOfDimensions() throws IOException {
        // a labels file passed as images, and the other way round: the message says what it looks like
        assertImagesRejected(labelsFile(labels(3, 10)), true, "the magic number 0x00000801 declares 1 dimension(s)"
                + " (it looks like a labels file); images files have 3 (N×H×W, magic 0x00000803)");
        assertLabelsRejected(goodImages(), false, "declares 3 dimension(s) (it looks like an images file); labels"
                + " files have 1 (N, magic 0x00000801)");
        assertImagesRejected(idx(0x00000802, new int[] {4, 6}, new byte[24]), false, "declares 2 dimension(s);");
        assertImagesRejected(idx(0x00000804, new int[] {1, 4, 3, 2}, new byte[24]), true, "declares 4 dimension(s)");
    }

    @ParameterizedTest(name = "gzip {0}")
    @ValueSource(booleans = {true, false})
    void headerShorterThanFourBytes(boolean gzip) throws IOException {
        assertImagesRejected(new byte[0], gzip, "it holds only 0 byte(s)", "4-byte magic number");
        assertImagesRejected(new byte[] {0}, gzip, "it holds only 1 byte(s)");
        IdxFormatException e = assertLabelsRejected(new byte[] {0, 0, 8}, gzip, "it holds only 3 byte(s)",
                "empty or cut short");
        assertEquals(gzip, e.getMessage().contains("once decompressed"), e.getMessage());
    }

    @Test
    void headerCutInsideTheDimensionSizes() throws IOException {
        assertImagesRejected(Arrays.copyOf(goodImages(), 10), false, "it ends after 10 byte(s), inside the header,"
                + " which needs 16 (magic number and 3 dimension size(s))");
        assertLabelsRejected(Arrays.copyOf(labelsFile(labels(3, 10)), 6), true, "ends after 6 byte(s) once"
                + " decompressed, inside the header, which needs 8");
    }

    @ParameterizedTest(name = "gzip {0}")
    @ValueSource(booleans = {true, false})
    void truncatedData(boolean gzip) throws IOException {
        IdxFormatException e = assertImagesRejected(Arrays.copyOf(goodImages(), 33), gzip, "the file is truncated:"
                + " its header promises 40 bytes (a 16-byte header and 4×3×2 data bytes) but it holds only 33"
                + (gzip ? " once decompressed" : ""), "Download or copy the file again");
        assertInstanceOf(IOException.class, e);
        assertLabelsRejected(Arrays.copyOf(labelsFile(labels(5, 10)), 12), gzip, "its header promises 13 bytes (a"
                + " 8-byte header and 5 data bytes) but it holds only 12");
        // only the header
        assertImagesRejected(Arrays.copyOf(goodImages(), 16), gzip, "promises 40 bytes", "holds only 16");
    }

    @Test
    void truncatedGzipStream() throws IOException {
        byte[] compressed = gzip(imagesFile(50, 28, 28, pixels(50, 28, 28)));
        Path file = Files.write(temp.resolve("cut.gz"), Arrays.copyOf(compressed, compressed.length / 2));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Idx.readImages(file));
        assertMessage(e, file, "the gzip data is truncated or damaged: it breaks off after ", " decompressed bytes",
                "the header promises 39216 bytes (a 16-byte header and 50×28×28 data bytes)");
        assertInstanceOf(IOException.class, e.getCause());

        Path header = Files.write(temp.resolve("header.gz"), Arrays.copyOf(compressed, 5));
        assertMessage(assertThrows(IdxFormatException.class, () -> Idx.readImages(header)), header,
                "it starts like gzip (1f 8b) but its gzip header is damaged");
    }

    @ParameterizedTest(name = "gzip {0}")
    @ValueSource(booleans = {true, false})
    void trailingData(boolean gzip) throws IOException {
        assertImagesRejected(Arrays.copyOf(goodImages(), 43), gzip, "the file holds 43 bytes"
                + (gzip ? " once decompressed" : "") + " but its header promises 40 (a 16-byte header and 4×3×2 data"
                + " bytes): 3 trailing byte(s)");
        assertLabelsRejected(Arrays.copyOf(labelsFile(labels(5, 10)), 14), gzip, "holds 14 bytes",
                "promises 13", "1 trailing byte(s)");
    }

    @Test
    void labelOutOfRange() throws IOException {
        byte[] labels = labels(30, 10);
        labels[17] = 10;
        IdxFormatException e = assertLabelsRejected(labelsFile(labels), true, "label 10 at index 17 is outside 0..9"
                + " (10 classes)", "class count");
        assertEquals("label 10 at index 17 is outside 0..9 (10 classes)", e.problem());
        labels[17] = (byte) 255;
        assertLabelsRejected(labelsFile(labels), false, "label 255 at index 17");
    }

    @Test
    void zeroImageSize() throws IOException {
        assertImagesRejected(imagesFile(3, 0, 28, new byte[0]), false, "the images are 0×28");
    }

    @Test
    void hugeDeclaredCountIsATruncationNotAnOutOfMemoryError() throws IOException {
        // the header claims 2^31 - 1 labels / 1,000,000 images of 28×28: nothing near that is allocated
        assertLabelsRejected(idx(Idx.LABELS_MAGIC, new int[] {Integer.MAX_VALUE - 8}, new byte[3]), true,
                "holds only 11");
        assertImagesRejected(imagesFile(1_000_000, 28, 28, new byte[100]), false, "promises 784000016 bytes",
                "holds only 116");
        assertImagesRejected(idx(Idx.IMAGES_MAGIC, new int[] {-1, 28, 28}, new byte[0]), false,
                "dimension 0 of the header is 4294967295, more than 2^31 - 1");
        int max = Integer.MAX_VALUE;
        assertImagesRejected(idx(Idx.IMAGES_MAGIC, new int[] {max, max, max}, new byte[0]), true,
                "the header declares 2147483647×2147483647×2147483647 pixels, more than a file can hold");
    }

    @Test
    void missingFile() {
        Path missing = temp.resolve("nowhere/train-images-idx3-ubyte.gz");
        DataFileNotFoundException e = assertThrows(DataFileNotFoundException.class, () -> Idx.readImages(missing));
        assertInstanceOf(NoSuchFileException.class, e);
        assertEquals(missing.toString(), e.getFile());
        assertTrue(e.getMessage().startsWith(missing + ": no such file. Check the path"), e.getMessage());
        assertThrows(DataFileNotFoundException.class, () -> Idx.readLabels(missing, 10));
    }

    @Test
    void directoryInsteadOfAFile() {
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Idx.readImages(temp));
        assertEquals("it is a directory", e.problem());
    }
}
