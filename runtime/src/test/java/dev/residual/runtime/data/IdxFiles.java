package dev.residual.runtime.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Test helpers: IDX files built byte by byte from the format's description, written plain or gzip-compressed. */
final class IdxFiles {

    private IdxFiles() {}

    /** A 4-byte magic number, one big-endian int per dimension, then {@code data} as given. */
    static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer buffer = ByteBuffer.allocate(4 + 4 * dims.length + data.length); // big-endian by default
        buffer.putInt(magic);
        for (int dim : dims) {
            buffer.putInt(dim);
        }
        return buffer.put(data).array();
    }

    /** A valid images file: magic 0x00000803, {@code {count, height, width}}, the pixels. */
    static byte[] imagesFile(int count, int height, int width, byte[] pixels) {
        return idx(Idx.IMAGES_MAGIC, new int[] {count, height, width}, pixels);
    }

    /** A valid labels file: magic 0x00000801, {@code {count}}, the labels. */
    static byte[] labelsFile(byte[] labels) {
        return idx(Idx.LABELS_MAGIC, new int[] {labels.length}, labels);
    }

    /** {@code count} images of {@code height × width} whose pixels all differ from their neighbours'. */
    static byte[] pixels(int count, int height, int width) {
        byte[] pixels = new byte[count * height * width];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 37 + i / 256);
        }
        return pixels;
    }

    /** {@code count} labels cycling through {@code classes}. */
    static byte[] labels(int count, int classes) {
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) (i * 7 % classes);
        }
        return labels;
    }

    static byte[] gzip(byte[] content) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Writes {@code content} to {@code dir/name}, gzip-compressed when asked. */
    static Path write(Path dir, String name, byte[] content, boolean gzip) throws IOException {
        return Files.write(dir.resolve(name), gzip ? gzip(content) : content);
    }

    /** Writes a valid images/labels pair with the standard names of {@code split}, gzip-compressed when asked. */
    static void writePair(Path dir, Dataset.Split split, int count, int height, int width, int classes, boolean gzip)
            throws IOException {
        String images = gzip ? split.imagesFile() : plain(split.imagesFile());
        String labels = gzip ? split.labelsFile() : plain(split.labelsFile());
        write(dir, images, imagesFile(count, height, width, pixels(count, height, width)), gzip);
        write(dir, labels, labelsFile(labels(count, classes)), gzip);
    }

    static String plain(String gzipName) {
        return gzipName.substring(0, gzipName.length() - ".gz".length());
    }
}
