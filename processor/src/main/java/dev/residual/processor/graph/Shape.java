package dev.residual.processor.graph;

/**
 * The shape of one sample of a tensor: an image {@code C × H × W}, a vector of {@code C} features
 * ({@code image == false}, {@code H = W = 1}), or a sequence of {@code length} positions of {@code C} features each
 * ({@code length > 0}, {@code H = W = 1}).
 *
 * <p>A sequence is stored as the kernels store vectors, feature-major with one column per position
 * ({@code C × (n·length)}), so every per-position op is the vector op run over {@code n·length} columns.
 */
public record Shape(int channels, int height, int width, boolean image, int length) {

    /** An image or a vector: not a sequence. */
    public Shape(int channels, int height, int width, boolean image) {
        this(channels, height, width, image, 0);
    }

    public static Shape image(int channels, int height, int width) {
        return new Shape(channels, height, width, true);
    }

    public static Shape vector(int features) {
        return new Shape(features, 1, 1, false);
    }

    /** {@code length} positions of {@code features} each (token ids are a sequence of 1 feature). */
    public static Shape sequence(int length, int features) {
        return new Shape(features, 1, 1, false, length);
    }

    /** Whether this is a sequence of positions. */
    public boolean sequence() {
        return length > 0;
    }

    /** Columns per sample in the feature-major layout that the per-position ops see: the positions, else 1. */
    public int positions() {
        return sequence() ? length : 1;
    }

    /** Floats per sample. */
    public long size() {
        return (long) channels * height * width * positions();
    }

    /** Positions per channel and sample. */
    public int spatial() {
        return height * width;
    }

    /**
     * The dimensions of one sample, channels first: as PyTorch would print them for an image or a vector, and
     * {@code {D, T}} for a sequence (the order of {@code Conv1d}'s input, and of a layer view's {@code [D, n, T]}).
     */
    public int[] dims() {
        if (sequence()) {
            return new int[] {channels, length};
        }
        return image ? new int[] {channels, height, width} : new int[] {channels};
    }

    @Override
    public String toString() {
        if (sequence()) {
            return length + " positions × " + channels + " features";
        }
        return image ? channels + "×" + height + "×" + width : channels + " features";
    }
}
