package dev.residual.runtime.data;

/**
 * How pixels become model inputs: {@code (x / 255 − mean) / std} for a pixel {@code x} in 0..255, as PyTorch's
 * {@code ToTensor()} followed by {@code Normalize(mean, std)}.
 *
 * @param mean the mean of {@code x / 255} over the training pixels
 * @param std  their standard deviation, positive
 */
public record Normalization(double mean, double std) {

    /** Fashion-MNIST's usual statistics (of its 60,000 training images): mean 0.2860, std 0.3530. */
    public static final Normalization FASHION_MNIST = new Normalization(0.2860, 0.3530);

    /** Just {@code x / 255}, in [0, 1]. */
    public static final Normalization NONE = new Normalization(0, 1);

    public Normalization {
        if (!Double.isFinite(mean) || !Double.isFinite(std) || std <= 0) {
            throw new IllegalArgumentException("normalization mean " + mean + ", std " + std + ": both must be finite"
                    + " and std positive");
        }
    }

    /**
     * The mean and the (population) standard deviation of {@code x / 255} over every pixel of {@code images}, computed
     * exactly from a histogram. Measure them on the training set and use them for the test set too.
     *
     * @throws IllegalArgumentException when there are no pixels, or all are equal (std 0)
     */
    public static Normalization measure(IdxImages images) {
        long[] histogram = new long[256];
        for (byte pixel : images.raw()) {
            histogram[pixel & 0xff]++;
        }
        long count = 0;
        double sum = 0;
        for (int value = 0; value < 256; value++) {
            count += histogram[value];
            sum += histogram[value] * (value / 255.0);
        }
        if (count == 0) {
            throw new IllegalArgumentException(images.source() + " holds no pixels to measure");
        }
        double mean = sum / count;
        double squares = 0;
        for (int value = 0; value < 256; value++) {
            double d = value / 255.0 - mean;
            squares += histogram[value] * d * d;
        }
        double std = Math.sqrt(squares / count);
        if (std == 0) {
            throw new IllegalArgumentException(images.source() + ": every pixel is " + Math.round(mean * 255)
                    + ", the standard deviation is 0; pass a Normalization instead of measuring one");
        }
        return new Normalization(mean, std);
    }

    /** The model input for pixel value {@code x} (0..255), as a float. */
    public float apply(int x) {
        return (float) ((x / 255.0 - mean) / std);
    }

    /** The 256 model inputs for pixel values 0..255. */
    float[] table() {
        float[] table = new float[256];
        for (int x = 0; x < 256; x++) {
            table[x] = apply(x);
        }
        return table;
    }
}
