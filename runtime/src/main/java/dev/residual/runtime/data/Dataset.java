package dev.residual.runtime.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A labelled image classification data set in memory, ready for a model: {@code size()} grey-scale samples of shape
 * {@code {1, H, W}}, each pixel served normalized to {@code (x / 255 − mean) / std} as a float, and one {@code int}
 * label per sample in {@code [0, classes)}. Immutable; {@link Batches} serves it in (shuffled) batches.
 *
 * <p>Loaded from a pair of IDX files with the standard MNIST names, e.g. for Fashion-MNIST:
 * <pre>{@code
 * Dataset train = Dataset.fashionMnist(Dataset.FASHION_MNIST_DIR, Dataset.Split.TRAIN, Idx.ALL);
 * Dataset test  = Dataset.load(dir, Dataset.Split.TEST, 10, 500, Normalization.FASHION_MNIST);
 * }</pre>
 * Memory: one byte per pixel, as the file stores it (Fashion-MNIST's 60,000 training images take 47 MB); pixels
 * are normalized through a 256-entry table when they are copied out, which costs nothing next to a training step and
 * keeps a training run's resident memory four times smaller than storing floats.
 */
public final class Dataset {

    /** Where Debian's {@code dataset-fashion-mnist} package installs the four files. */
    public static final Path FASHION_MNIST_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** The class-path folder of the samples module's Fashion-MNIST subset (2,000 training, 500 test samples). */
    public static final String FASHION_MNIST_SUBSET = "fashion-mnist-subset";

    /** Fashion-MNIST's class count. */
    public static final int FASHION_MNIST_CLASSES = 10;

    /** Fashion-MNIST's class names, by label. */
    public static final List<String> FASHION_MNIST_CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover",
            "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** Which half of an MNIST-style data set: the files' name prefix. */
    public enum Split {
        /** {@code train-images-idx3-ubyte.gz}, {@code train-labels-idx1-ubyte.gz}. */
        TRAIN("train"),
        /** {@code t10k-images-idx3-ubyte.gz}, {@code t10k-labels-idx1-ubyte.gz}. */
        TEST("t10k");

        private final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }

        /** {@code train} or {@code t10k}. */
        public String prefix() {
            return prefix;
        }

        /** The images file's standard name, gzip-compressed: e.g. {@code train-images-idx3-ubyte.gz}. */
        public String imagesFile() {
            return prefix + "-images-idx3-ubyte.gz";
        }

        /** The labels file's standard name, gzip-compressed: e.g. {@code train-labels-idx1-ubyte.gz}. */
        public String labelsFile() {
            return prefix + "-labels-idx1-ubyte.gz";
        }
    }

    private final String imagesSource;
    private final String labelsSource;
    private final int size;
    private final int height;
    private final int width;
    private final int classes;
    private final Normalization normalization;
    /** The file's pixels, unnormalized. */
    private final byte[] pixels;
    /** {@code table[b & 0xff]} is pixel value {@code b} normalized. */
    private final float[] table;
    private final int[] labels;

    private Dataset(IdxImages images, IdxLabels labels, Normalization normalization) {
        this.imagesSource = images.source();
        this.labelsSource = labels.source();
        this.size = images.count();
        this.height = images.height();
        this.width = images.width();
        this.classes = labels.classes();
        this.normalization = normalization;
        this.labels = labels.raw();
        this.pixels = images.raw();
        this.table = normalization.table();
    }

    /**
     * Pairs images and labels; the files' declared sample counts must agree (whatever limit they were read with).
     *
     * @throws IdxPairMismatchException when they do not, naming both sources and both counts
     */
    public static Dataset of(IdxImages images, IdxLabels labels, Normalization normalization)
            throws IdxPairMismatchException {
        Objects.requireNonNull(normalization, "normalization");
        if (images.declaredCount() != labels.declaredCount() || images.count() != labels.count()) {
            boolean declared = images.declaredCount() != labels.declaredCount();
            throw new IdxPairMismatchException(images.source(), declared ? images.declaredCount() : images.count(),
                    labels.source(), declared ? labels.declaredCount() : labels.count());
        }
        return new Dataset(images, labels, normalization);
    }

    /**
     * Fashion-MNIST's {@code split} from {@code dir}: 10 classes, normalized with
     * {@link Normalization#FASHION_MNIST}.
     *
     * @param limit only the first {@code limit} samples ({@link Idx#ALL} for all)
     */
    public static Dataset fashionMnist(Path dir, Split split, int limit) throws IOException {
        return load(dir, split, FASHION_MNIST_CLASSES, limit, Normalization.FASHION_MNIST);
    }

    /**
     * Loads {@code split} from {@code dir}, which holds the standard file names, gzip-compressed ({@code .gz}) or
     * plain (the same names without {@code .gz}). The labels are read first, then the images; both files are checked
     * in full (see {@link Idx}).
     *
     * @param classes how many classes; every label must be below
     * @param limit   only the first {@code limit} samples ({@link Idx#ALL} for all; all when the files hold fewer)
     * @throws DataFileNotFoundException when a file is missing, saying how to get the data
     * @throws IdxFormatException        for a broken file or a label out of range
     * @throws IdxPairMismatchException  when the files' sample counts differ
     */
    public static Dataset load(Path dir, Split split, int classes, int limit, Normalization normalization)
            throws IOException {
        Objects.requireNonNull(normalization, "normalization");
        String advice = missingAdvice(dir);
        IdxLabels labels = Idx.readLabels(file(dir, split.labelsFile()), classes, limit, advice);
        IdxImages images = Idx.readImages(file(dir, split.imagesFile()), limit, advice);
        return of(images, labels, normalization);
    }

    /**
     * Loads {@code split} from class-path resources {@code folder/<standard name>} (gzip or plain), e.g. the samples
     * module's {@link #FASHION_MNIST_SUBSET}: the fallback when the data set is not installed.
     */
    public static Dataset loadResources(ClassLoader loader, String folder, Split split, int classes, int limit,
            Normalization normalization) throws IOException {
        Objects.requireNonNull(normalization, "normalization");
        IdxLabels labels;
        try (Resource resource = resource(loader, folder, split.labelsFile())) {
            labels = Idx.readLabels(resource.in, resource.name, classes, limit);
        }
        IdxImages images;
        try (Resource resource = resource(loader, folder, split.imagesFile())) {
            images = Idx.readImages(resource.in, resource.name, limit);
        }
        return of(images, labels, normalization);
    }

    private static Path file(Path dir, String gzipName) {
        Path gzip = dir.resolve(gzipName);
        Path plain = dir.resolve(gzipName.substring(0, gzipName.length() - ".gz".length()));
        return Files.exists(gzip) || !Files.exists(plain) ? gzip : plain;
    }

    private static String missingAdvice(Path dir) {
        String where = Files.isDirectory(dir) ? "" : "; the folder " + dir + " does not exist";
        return "Install Debian's dataset-fashion-mnist (sudo apt-get install dataset-fashion-mnist puts the files in "
                + FASHION_MNIST_DIR + ") or pass --data DIR naming a folder that holds "
                + Split.TRAIN.imagesFile() + ", " + Split.TRAIN.labelsFile() + ", " + Split.TEST.imagesFile()
                + " and " + Split.TEST.labelsFile() + " (gzip or plain)" + where + ".";
    }

    private record Resource(InputStream in, String name) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private static Resource resource(ClassLoader loader, String folder, String gzipName)
            throws DataFileNotFoundException {
        String base = folder.endsWith("/") ? folder : folder + "/";
        for (String name : new String[] {gzipName, gzipName.substring(0, gzipName.length() - ".gz".length())}) {
            InputStream in = loader.getResourceAsStream(base + name);
            if (in != null) {
                return new Resource(in, "classpath:" + base + name);
            }
        }
        throw new DataFileNotFoundException("classpath:" + base + gzipName, "The class path has no " + base
                + " resources: put the jar or folder that holds them on the class path (the samples module ships a"
                + " Fashion-MNIST subset as " + FASHION_MNIST_SUBSET + "/).");
    }

    /** How many samples. */
    public int size() {
        return size;
    }

    /** Channels per sample: 1 (grey-scale). */
    public int channels() {
        return 1;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** One sample's shape: {@code {1, H, W}} (channels, height, width). */
    public int[] sampleShape() {
        return new int[] {1, height, width};
    }

    /** Floats per sample: {@code 1 · H · W}. */
    public int sampleSize() {
        return height * width;
    }

    /** The class count every label was checked against. */
    public int classes() {
        return classes;
    }

    /** The normalization the pixels went through. */
    public Normalization normalization() {
        return normalization;
    }

    /** The images file's path or resource name. */
    public String imagesSource() {
        return imagesSource;
    }

    /** The labels file's path or resource name. */
    public String labelsSource() {
        return labelsSource;
    }

    /** The label of sample {@code index}. */
    public int label(int index) {
        return labels[Objects.checkIndex(index, size)];
    }

    /** A copy of the labels. */
    public int[] labels() {
        return labels.clone();
    }

    /** A copy of every sample's normalized pixels, sample after sample ({@code size · 1 · H · W} floats). */
    public float[] images() {
        float[] all = new float[pixels.length];
        for (int i = 0; i < size; i++) {
            copySample(i, all, i * sampleSize());
        }
        return all;
    }

    /** Copies sample {@code index}'s {@code 1 · H · W} normalized pixels into {@code into} at {@code offset}. */
    public void copySample(int index, float[] into, int offset) {
        int sample = sampleSize();
        int from = Objects.checkIndex(index, size) * sample;
        Objects.checkFromIndexSize(offset, sample, into.length);
        for (int i = 0; i < sample; i++) {
            into[offset + i] = table[pixels[from + i] & 0xff];
        }
    }

    /** The labels without a copy, for {@link Batches}. */
    int[] rawLabels() {
        return labels;
    }

    @Override
    public String toString() {
        return size + " samples of " + height + "×" + width + ", " + classes + " classes, from " + imagesSource
                + " and " + labelsSource;
    }
}
