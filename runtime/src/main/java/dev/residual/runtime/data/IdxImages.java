package dev.residual.runtime.data;

import java.util.Objects;

/**
 * Grey-scale images as read from an IDX file: {@code count} images of {@code height × width} unsigned bytes, row-major,
 * image after image. Immutable.
 */
public final class IdxImages {

    private final String source;
    private final long declaredCount;
    private final int count;
    private final int height;
    private final int width;
    private final byte[] pixels;

    /**
     * Images made in memory (e.g. for a test): {@code pixels} holds {@code count · height · width} unsigned bytes and
     * is copied.
     *
     * @param source a name for messages
     */
    public IdxImages(String source, int count, int height, int width, byte[] pixels) {
        this(source, count, count, height, width, checkedCopy(count, height, width, pixels));
    }

    /** Takes {@code pixels} without a copy; the reader's constructor. */
    IdxImages(String source, long declaredCount, int count, int height, int width, byte[] pixels) {
        this.source = Objects.requireNonNull(source, "source");
        this.declaredCount = declaredCount;
        this.count = count;
        this.height = height;
        this.width = width;
        this.pixels = pixels;
    }

    private static byte[] checkedCopy(int count, int height, int width, byte[] pixels) {
        if (count < 0 || height < 1 || width < 1) {
            throw new IllegalArgumentException("count " + count + ", height " + height + ", width " + width
                    + ": the count must be 0 or more and the sizes 1 or more");
        }
        long size = (long) count * height * width;
        if (pixels.length != size) {
            throw new IllegalArgumentException(count + " images of " + height + "×" + width + " need " + size
                    + " bytes, pixels holds " + pixels.length);
        }
        return pixels.clone();
    }

    /** The file's path, or the class-path resource's name. */
    public String source() {
        return source;
    }

    /** How many images were loaded: the file's count, or fewer when a limit was given. */
    public int count() {
        return count;
    }

    /** How many images the file's header declares (its whole content, whatever the limit). */
    public long declaredCount() {
        return declaredCount;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** Pixels per image: {@code height · width}. */
    public int imageSize() {
        return height * width;
    }

    /** The pixel at {@code (row, column)} of image {@code index}, 0 to 255. */
    public int pixel(int index, int row, int column) {
        Objects.checkIndex(index, count);
        Objects.checkIndex(row, height);
        Objects.checkIndex(column, width);
        return Byte.toUnsignedInt(pixels[(index * height + row) * width + column]);
    }

    /** A copy of the pixels: {@code count · height · width} unsigned bytes. */
    public byte[] pixels() {
        return pixels.clone();
    }

    /** The pixels without a copy, for this package. */
    byte[] raw() {
        return pixels;
    }

    @Override
    public String toString() {
        return count + " images of " + height + "×" + width + " from " + source;
    }
}
