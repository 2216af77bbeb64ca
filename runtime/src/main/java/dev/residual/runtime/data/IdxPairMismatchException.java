package dev.residual.runtime.data;

import java.io.IOException;
import java.io.Serial;

/**
 * An images file and a labels file loaded as a pair hold different numbers of samples: they do not belong together.
 * The message names both files and both counts.
 */
public final class IdxPairMismatchException extends IOException {

    @Serial
    private static final long serialVersionUID = 1L;

    private final String imagesSource;
    private final String labelsSource;
    private final long imageCount;
    private final long labelCount;

    public IdxPairMismatchException(String imagesSource, long imageCount, String labelsSource, long labelCount) {
        super(imagesSource + " holds " + imageCount + " images but " + labelsSource + " holds " + labelCount
                + " labels: the two files do not belong together. Load the images and labels files of the same split"
                + " (train-* with train-*, t10k-* with t10k-*) from the same download.");
        this.imagesSource = imagesSource;
        this.labelsSource = labelsSource;
        this.imageCount = imageCount;
        this.labelCount = labelCount;
    }

    public String imagesSource() {
        return imagesSource;
    }

    public String labelsSource() {
        return labelsSource;
    }

    /** The sample count in the images file's header. */
    public long imageCount() {
        return imageCount;
    }

    /** The sample count in the labels file's header. */
    public long labelCount() {
        return labelCount;
    }
}
