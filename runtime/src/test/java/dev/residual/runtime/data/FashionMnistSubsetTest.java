package dev.residual.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Fashion-MNIST subset committed in the samples module ({@code samples/src/main/resources/fashion-mnist-subset},
 * found relative to this module's folder, not on the class path: the runtime cannot depend on samples), and, when
 * Debian's dataset-fashion-mnist is installed, the full data set.
 */
class FashionMnistSubsetTest {

    /** Surefire runs in, and sets {@code basedir} to, the runtime module's folder. */
    private static final Path SUBSET = Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
            .resolve("../samples/src/main/resources/fashion-mnist-subset").toAbsolutePath().normalize();

    private static Path subset() {
        assertTrue(Files.isDirectory(SUBSET), "the committed subset is missing: " + SUBSET);
        return SUBSET;
    }

    private static int[] classCounts(Dataset data) {
        int[] counts = new int[data.classes()];
        for (int label : data.labels()) {
            counts[label]++;
        }
        return counts;
    }

    @Test
    void subsetHoldsTheFirst2000TrainingAnd500TestSamplesOfEveryClass() throws IOException {
        Dataset train = Dataset.fashionMnist(subset(), Dataset.Split.TRAIN, Idx.ALL);
        Dataset test = Dataset.fashionMnist(subset(), Dataset.Split.TEST, Idx.ALL);

        assertEquals(2000, train.size());
        assertEquals(500, test.size());
        assertArrayEquals(new int[] {1, 28, 28}, train.sampleShape());
        assertArrayEquals(new int[] {1, 28, 28}, test.sampleShape());
        // every class present, with the counts the folder's README gives
        assertArrayEquals(new int[] {194, 216, 202, 195, 186, 200, 194, 215, 198, 200}, classCounts(train));
        assertArrayEquals(new int[] {55, 52, 65, 46, 57, 39, 47, 47, 44, 48}, classCounts(test));
        // Fashion-MNIST's first training sample is an ankle boot, its first test sample too
        assertEquals(9, train.label(0));
        assertEquals(9, test.label(0));
    }

    @Test
    void subsetStatisticsAreFashionMnists() throws IOException {
        Normalization measured = Normalization.measure(Idx.readImages(subset().resolve("train-images-idx3-ubyte.gz")));
        assertEquals(0.2860, measured.mean(), 0.01);
        assertEquals(0.3530, measured.std(), 0.01);
    }

    @Test
    void subsetIsSmall() throws IOException {
        long bytes;
        try (Stream<Path> files = Files.list(subset())) {
            bytes = files.filter(file -> file.toString().endsWith(".gz")).mapToLong(file -> file.toFile().length())
                    .sum();
        }
        assertTrue(bytes < 1_150_000, bytes + " bytes");
    }

    @Test
    void subsetIsTheStartOfTheInstalledDataSet() throws IOException {
        Path full = Dataset.FASHION_MNIST_DIR;
        assumeTrue(Files.isRegularFile(full.resolve("train-images-idx3-ubyte.gz")), "dataset-fashion-mnist absent");
        for (Dataset.Split split : Dataset.Split.values()) {
            int count = split == Dataset.Split.TRAIN ? 2000 : 500;
            IdxImages fullImages = Idx.readImages(full.resolve(split.imagesFile()), count);
            IdxImages subsetImages = Idx.readImages(subset().resolve(split.imagesFile()));
            assertArrayEquals(fullImages.pixels(), subsetImages.pixels(), split.toString());
            assertArrayEquals(Idx.readLabels(full.resolve(split.labelsFile()), 10, count).labels(),
                    Idx.readLabels(subset().resolve(split.labelsFile()), 10).labels(), split.toString());
        }
    }

    @Test
    void installedDataSetLoadsWhole() throws IOException {
        Path full = Dataset.FASHION_MNIST_DIR;
        assumeTrue(Files.isRegularFile(full.resolve("train-images-idx3-ubyte.gz")), "dataset-fashion-mnist absent");
        IdxImages images = Idx.readImages(full.resolve("train-images-idx3-ubyte.gz"));
        assertEquals(60_000, images.count());
        assertEquals(28, images.height());
        assertEquals(28, images.width());
        // the usual normalization constants are these images' statistics
        Normalization measured = Normalization.measure(images);
        assertEquals(0.2860, measured.mean(), 5e-5);
        assertEquals(0.3530, measured.std(), 5e-5);

        Dataset test = Dataset.fashionMnist(full, Dataset.Split.TEST, Idx.ALL);
        assertEquals(10_000, test.size());
        int[] counts = classCounts(test);
        int[] thousand = new int[10];
        Arrays.fill(thousand, 1000);
        assertArrayEquals(thousand, counts);
    }
}
