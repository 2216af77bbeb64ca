package dev.residual.runtime.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or plain: gzip is recognised by its magic
 * bytes {@code 1f 8b}, whatever the file's name.
 *
 * <p>An IDX file is a 4-byte magic number (two zero bytes, a data type byte, a dimension count byte), one big-endian
 * {@code int} per dimension, then the data, row-major. Images are {@code 0x00000803} (unsigned bytes, 3 dimensions:
 * {@code N × H × W}); labels are {@code 0x00000801} (unsigned bytes, 1 dimension: {@code N}). Only unsigned bytes are
 * supported.
 *
 * <p>Everything is checked: the magic number, the data type, the dimension count, that the file holds exactly the
 * bytes its header promises (a truncated file and trailing bytes are both errors), and each label against the class
 * count. A problem is an {@link IdxFormatException} naming the file and the numbers; a missing file is a
 * {@link DataFileNotFoundException}. A corrupt header never causes a large allocation: buffers grow with the data
 * actually read.
 *
 * <p>With a {@code limit}, only the first {@code limit} samples are kept, but the whole file is still read and checked.
 */
public final class Idx {

    /** As a {@code limit}: every sample in the file. */
    public static final int ALL = Integer.MAX_VALUE;

    /** Magic number of an images file: unsigned bytes, 3 dimensions. */
    public static final int IMAGES_MAGIC = 0x00000803;

    /** Magic number of a labels file: unsigned bytes, 1 dimension. */
    public static final int LABELS_MAGIC = 0x00000801;

    static final int UBYTE = 0x08;

    private static final String GENERIC_ADVICE = "Check the path: IDX files are usually named like"
            + " train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz";

    /** The largest array the JVM reliably allocates. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private static final int FIRST_CHUNK = 1 << 20;

    private Idx() {}

    /** Every image of an images file. */
    public static IdxImages readImages(Path file) throws IOException {
        return readImages(file, ALL);
    }

    /** The first {@code limit} images of an images file (all of them when it holds fewer); the whole file is checked. */
    public static IdxImages readImages(Path file, int limit) throws IOException {
        return readImages(file, limit, GENERIC_ADVICE);
    }

    /** Every label of a labels file, each checked against {@code classes}. */
    public static IdxLabels readLabels(Path file, int classes) throws IOException {
        return readLabels(file, classes, ALL);
    }

    /**
     * The first {@code limit} labels of a labels file (all of them when it holds fewer); every label in the file is
     * checked against {@code classes}.
     */
    public static IdxLabels readLabels(Path file, int classes, int limit) throws IOException {
        return readLabels(file, classes, limit, GENERIC_ADVICE);
    }

    /**
     * Images from a stream (e.g. a class-path resource), read to its end; the stream is not closed.
     *
     * @param source the name used in messages
     */
    public static IdxImages readImages(InputStream in, String source, int limit) throws IOException {
        checkLimit(limit);
        return images(new Input(in, source), limit);
    }

    /**
     * Labels from a stream (e.g. a class-path resource), read to its end; the stream is not closed.
     *
     * @param source the name used in messages
     */
    public static IdxLabels readLabels(InputStream in, String source, int classes, int limit) throws IOException {
        checkClasses(classes);
        checkLimit(limit);
        return labels(new Input(in, source), classes, limit);
    }

    static IdxImages readImages(Path file, int limit, String missingAdvice) throws IOException {
        checkLimit(limit);
        try (InputStream in = open(file, missingAdvice)) {
            return images(new Input(in, file.toString()), limit);
        }
    }

    static IdxLabels readLabels(Path file, int classes, int limit, String missingAdvice) throws IOException {
        checkClasses(classes);
        checkLimit(limit);
        try (InputStream in = open(file, missingAdvice)) {
            return labels(new Input(in, file.toString()), classes, limit);
        }
    }

    static void checkClasses(int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("classes is " + classes + "; it must be 1 or more");
        }
    }

    private static void checkLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit is " + limit + "; it must be 0 or more (Idx.ALL for every"
                    + " sample)");
        }
    }

    private static InputStream open(Path file, String missingAdvice) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IdxFormatException(file.toString(), "it is a directory", "Pass the path of the file itself");
        }
        try {
            return Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new DataFileNotFoundException(file.toString(), missingAdvice);
        }
    }

    private static IdxImages images(Input input, int limit) throws IOException {
        long[] dims = input.header(IMAGES_MAGIC, "images", "N×H×W");
        long count = dims[0];
        long height = dims[1];
        long width = dims[2];
        if (height < 1 || width < 1) {
            throw input.error("the images are " + height + "×" + width + "; both sizes must be 1 or more",
                    "The header is damaged: download or copy the file again");
        }
        long dataBytes;
        try {
            dataBytes = Math.multiplyExact(Math.multiplyExact(count, height), width);
        } catch (ArithmeticException e) {
            throw input.error("the header declares " + count + "×" + height + "×" + width + " pixels, more than a"
                    + " file can hold", "The header is damaged: download or copy the file again");
        }
        input.expect(dataBytes, count + "×" + height + "×" + width);
        int keep = (int) Math.min(limit, count);
        long keptBytes = keep * height * width;
        if (keptBytes > MAX_ARRAY) {
            throw input.error(keep + " images of " + height + "×" + width + " are " + keptBytes + " bytes, more than"
                    + " one Java array holds", "Load fewer samples with a limit");
        }
        byte[] pixels = input.data((int) keptBytes);
        input.skipData(dataBytes - keptBytes);
        input.end();
        return new IdxImages(input.source, count, keep, (int) height, (int) width, pixels);
    }

    private static IdxLabels labels(Input input, int classes, int limit) throws IOException {
        long count = input.header(LABELS_MAGIC, "labels", "N")[0];
        input.expect(count, String.valueOf(count));
        if (count > MAX_ARRAY) {
            throw input.error(count + " labels are more than one Java array holds", "Is it a labels file?");
        }
        byte[] bytes = input.data((int) count);
        input.end();
        int keep = (int) Math.min(limit, count);
        int[] labels = new int[keep];
        for (int i = 0; i < bytes.length; i++) {
            int label = Byte.toUnsignedInt(bytes[i]);
            if (label >= classes) {
                throw input.error("label " + label + " at index " + i + " is outside 0.." + (classes - 1) + " ("
                        + classes + " classes)", "Check that the labels file belongs to this data set and that the"
                        + " class count is right");
            }
            if (i < keep) {
                labels[i] = label;
            }
        }
        return new IdxLabels(input.source, count, classes, labels);
    }

    private static String typeName(int type) {
        return switch (type) {
            case 0x08 -> "unsigned byte";
            case 0x09 -> "signed byte";
            case 0x0B -> "16-bit int";
            case 0x0C -> "32-bit int";
            case 0x0D -> "32-bit float";
            case 0x0E -> "64-bit float";
            default -> null;
        };
    }

    /** A stream being read, with the count of (decompressed) bytes read so far and what the header promised. */
    private static final class Input {

        final String source;
        final boolean gzip;
        final InputStream in;
        long position;
        int headerBytes;
        /** Header plus data, once the header is read; -1 before. */
        long expectedTotal = -1;
        String dataShape;
        private byte[] scratch;

        Input(InputStream raw, String source) throws IOException {
            this.source = source;
            BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
            buffered.mark(2);
            int b0 = buffered.read();
            int b1 = buffered.read();
            buffered.reset();
            gzip = b0 == 0x1f && b1 == 0x8b;
            if (gzip) {
                try {
                    in = new GZIPInputStream(buffered, 1 << 16);
                } catch (EOFException | ZipException e) {
                    IdxFormatException error = error("it starts like gzip (1f 8b) but its gzip header is damaged ("
                            + e.getMessage() + ")", "Download or copy the file again");
                    error.initCause(e);
                    throw error;
                }
            } else {
                in = buffered;
            }
        }

        IdxFormatException error(String problem, String advice) {
            return new IdxFormatException(source, problem, advice);
        }

        /** Reads the magic number and the dimension sizes; checks the type and the dimension count. */
        long[] header(int magic, String kind, String shape) throws IOException {
            byte[] start = new byte[4];
            int n = read(start, 0, 4);
            if (n < 4) {
                throw error("it holds only " + n + " byte(s)" + decompressed() + "; an IDX file starts with a 4-byte"
                        + " magic number", "The file is empty or cut short: download or copy it again");
            }
            int found = (start[0] & 0xff) << 24 | (start[1] & 0xff) << 16 | (start[2] & 0xff) << 8 | start[3] & 0xff;
            String hex = String.format("0x%08X", found);
            if (start[0] != 0 || start[1] != 0) {
                throw error("the magic number is " + hex + "; an IDX file starts with two zero bytes, a data type"
                        + " byte and a dimension count (" + kind + ": " + String.format("0x%08X", magic) + ")",
                        "Is it an IDX file? Pass the " + kind + " file (for MNIST-style data sets, e.g. "
                                + (kind.equals("images") ? "train-images-idx3-ubyte.gz" : "train-labels-idx1-ubyte.gz")
                                + ")");
            }
            int type = start[2] & 0xff;
            if (type != UBYTE) {
                String name = typeName(type);
                throw error(name == null
                        ? "the magic number " + hex + " has data type byte " + String.format("0x%02X", type)
                                + ", which is not an IDX type"
                        : "the magic number " + hex + " declares " + name + " data (type byte "
                                + String.format("0x%02X", type) + "); only unsigned byte data (0x08) is supported",
                        "Convert the data to unsigned bytes, or pass the " + kind + " file of an 8-bit data set");
            }
            int dims = start[3] & 0xff;
            int wanted = magic & 0xff;
            if (dims != wanted) {
                String hint = dims == (IMAGES_MAGIC & 0xff) ? " (it looks like an images file)"
                        : dims == (LABELS_MAGIC & 0xff) ? " (it looks like a labels file)" : "";
                throw error("the magic number " + hex + " declares " + dims + " dimension(s)" + hint + "; " + kind
                        + " files have " + wanted + " (" + shape + ", magic " + String.format("0x%08X", magic) + ")",
                        "Pass the " + kind + " file");
            }
            byte[] sizes = new byte[4 * dims];
            n = read(sizes, 0, sizes.length);
            if (n < sizes.length) {
                throw error("the file is truncated: it ends after " + (4 + n) + " byte(s)" + decompressed()
                        + ", inside the header, which needs " + (4 + sizes.length) + " (magic number and " + dims
                        + " dimension size(s))", "Download or copy the file again");
            }
            headerBytes = 4 + sizes.length;
            long[] result = new long[dims];
            for (int i = 0; i < dims; i++) {
                result[i] = (sizes[4 * i] & 0xffL) << 24 | (sizes[4 * i + 1] & 0xff) << 16
                        | (sizes[4 * i + 2] & 0xff) << 8 | sizes[4 * i + 3] & 0xff;
                if (result[i] > Integer.MAX_VALUE) {
                    throw error("dimension " + i + " of the header is " + result[i] + ", more than 2^31 - 1",
                            "The header is damaged: download or copy the file again");
                }
            }
            return result;
        }

        /** Records the data size the header promises, for the messages. */
        void expect(long dataBytes, String shape) {
            expectedTotal = headerBytes + dataBytes;
            dataShape = shape;
        }

        /** Reads exactly {@code size} data bytes; the array grows with the data, never beyond what was read. */
        byte[] data(int size) throws IOException {
            byte[] buffer = new byte[Math.min(size, FIRST_CHUNK)];
            int filled = 0;
            while (filled < size) {
                if (filled == buffer.length) {
                    buffer = Arrays.copyOf(buffer, (int) Math.min(size, 2L * buffer.length));
                }
                int n = read(buffer, filled, buffer.length - filled);
                filled += n;
                if (n == 0) {
                    throw truncated();
                }
            }
            return buffer;
        }

        /** Reads and drops {@code count} data bytes, which must be there. */
        void skipData(long count) throws IOException {
            long left = count;
            while (left > 0) {
                int n = read(scratch(), 0, (int) Math.min(left, scratch().length));
                if (n == 0) {
                    throw truncated();
                }
                left -= n;
            }
        }

        /** Checks that nothing follows the data. */
        void end() throws IOException {
            long extra = 0;
            int n;
            while ((n = read(scratch(), 0, scratch().length)) > 0) {
                extra += n;
            }
            if (extra > 0) {
                throw error("the file holds " + position + " bytes" + decompressed() + " but its header promises "
                        + expectedTotal + " (a " + headerBytes + "-byte header and " + dataShape + " data bytes): "
                        + extra + " trailing byte(s)", "The header and the data disagree: regenerate the file or"
                        + " download it again");
            }
        }

        private IdxFormatException truncated() {
            return error("the file is truncated: its header promises " + expectedTotal + " bytes (a " + headerBytes
                    + "-byte header and " + dataShape + " data bytes) but it holds only " + position + decompressed(),
                    "Download or copy the file again (an interrupted download or a full disk cuts files short)");
        }

        private String decompressed() {
            return gzip ? " once decompressed" : "";
        }

        private byte[] scratch() {
            if (scratch == null) {
                scratch = new byte[1 << 16];
            }
            return scratch;
        }

        /** Reads up to {@code length} bytes; fewer only at the end of the stream. */
        int read(byte[] into, int offset, int length) throws IOException {
            int total = 0;
            while (total < length) {
                int n;
                try {
                    n = in.read(into, offset + total, length - total);
                } catch (EOFException | ZipException e) {
                    position += total;
                    throw damagedGzip(e);
                }
                if (n < 0) {
                    break;
                }
                total += n;
            }
            position += total;
            return total;
        }

        private IdxFormatException damagedGzip(IOException e) {
            String promise = expectedTotal < 0 ? "" : "; the header promises " + expectedTotal + " bytes (a "
                    + headerBytes + "-byte header and " + dataShape + " data bytes)";
            IdxFormatException error = error("the gzip data is truncated or damaged: it breaks off after "
                    + position + " decompressed bytes (" + e.getMessage() + ")" + promise,
                    "Download or copy the file again (an interrupted download or a full disk cuts files short)");
            error.initCause(e);
            return error;
        }
    }
}
