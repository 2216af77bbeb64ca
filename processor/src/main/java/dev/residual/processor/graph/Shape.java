package dev.residual.processor.graph;

/**
 * The shape of one sample of a tensor: an image {@code C × H × W} or a vector of {@code C} features
 * ({@code image == false}, {@code H = W = 1}).
 */
public record Shape(int channels, int height, int width, boolean image) {

    public static Shape image(int channels, int height, int width) {
        return new Shape(channels, height, width, true);
    }

    public static Shape vector(int features) {
        return new Shape(features, 1, 1, false);
    }

    /** Floats per sample. */
    public long size() {
        return (long) channels * height * width;
    }

    /** Positions per channel and sample. */
    public int spatial() {
        return height * width;
    }

    /** The dimensions, as PyTorch would print them for one sample. */
    public int[] dims() {
        return image ? new int[] {channels, height, width} : new int[] {channels};
    }

    @Override
    public String toString() {
        return image ? channels + "×" + height + "×" + width : channels + " features";
    }
}
