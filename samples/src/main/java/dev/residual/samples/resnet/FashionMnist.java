package dev.residual.samples.resnet;

import dev.residual.runtime.data.Dataset;
import dev.residual.runtime.data.Normalization;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the samples get Fashion-MNIST: {@code --data DIR}, else Debian's {@code dataset-fashion-mnist}
 * ({@value #INSTALLED}), else — with a clear notice — the 2,000 + 500 image subset committed in this module.
 */
public final class FashionMnist {

    static final String INSTALLED = "/usr/share/datasets/fashion-mnist";

    private FashionMnist() {}

    /** The data set for a split, honouring an explicit folder (which must then work) and the fallback. */
    public static Dataset load(Path explicit, Dataset.Split split, int limit, PrintStream log) throws IOException {
        if (explicit != null) {
            return Dataset.fashionMnist(explicit, split, limit);
        }
        Path installed = Dataset.FASHION_MNIST_DIR;
        if (Files.exists(installed.resolve(split.imagesFile()))) {
            return Dataset.fashionMnist(installed, split, limit);
        }
        if (split == Dataset.Split.TRAIN) {
            log.println("NOTICE: Fashion-MNIST is not installed at " + installed + " (Debian's dataset-fashion-mnist);"
                    + " using the 2,000/500-image subset bundled with the samples. Accuracy on it is lower than on"
                    + " the full 60,000/10,000 images. Install the package, or pass --data DIR, for the real run.");
        }
        return Dataset.loadResources(FashionMnist.class.getClassLoader(), Dataset.FASHION_MNIST_SUBSET, split,
                Dataset.FASHION_MNIST_CLASSES, limit, Normalization.FASHION_MNIST);
    }
}
