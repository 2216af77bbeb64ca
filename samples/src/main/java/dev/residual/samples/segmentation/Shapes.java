package dev.residual.samples.segmentation;

import java.util.SplittableRandom;

/**
 * The synthetic segmentation task, generated in code: 32×32 grey images of one to three filled shapes — circles,
 * squares and triangles — on a noisy background, and the class of every pixel (0 background, 1 circle, 2 square,
 * 3 triangle). Shapes have random sizes, positions and brightness, drawn in turn (a later one covers an earlier
 * one); then Gaussian noise covers the whole image. Every shape is as bright as any other, so only its outline tells
 * its class. The same seed gives the same images.
 */
public final class Shapes {

    /** Background and the three shapes. */
    public static final int CLASSES = 4;
    /** Image height and width. */
    public static final int SIZE = 32;
    /** Class names, by index. */
    public static final String[] NAMES = {"background", "circle", "square", "triangle"};

    private static final double NOISE = 0.2;

    private Shapes() {}

    /**
     * Draws image {@code index} of a batch: {@code SIZE·SIZE} floats at {@code index·SIZE·SIZE} of {@code images}
     * and as many labels at the same place in {@code labels}.
     */
    public static void draw(SplittableRandom random, float[] images, int[] labels, int index) {
        int base = index * SIZE * SIZE;
        float background = (float) random.nextDouble(-0.3, 0.3);
        for (int p = 0; p < SIZE * SIZE; p++) {
            images[base + p] = background;
            labels[base + p] = 0;
        }
        int count = 1 + random.nextInt(3);
        for (int s = 0; s < count; s++) {
            int kind = 1 + random.nextInt(CLASSES - 1);
            float brightness = (float) random.nextDouble(0.6, 1.2);
            int r = 4 + random.nextInt(5); // the shape's half-size, 4 to 8 pixels
            int cy = r + random.nextInt(SIZE - 2 * r), cx = r + random.nextInt(SIZE - 2 * r);
            for (int y = cy - r; y <= cy + r; y++) {
                for (int x = cx - r; x <= cx + r; x++) {
                    if (inside(kind, y - cy, x - cx, r)) {
                        images[base + y * SIZE + x] = brightness;
                        labels[base + y * SIZE + x] = kind;
                    }
                }
            }
        }
        for (int p = 0; p < SIZE * SIZE; p++) {
            images[base + p] += (float) (NOISE * random.nextGaussian());
        }
    }

    /** Draws {@code n} images into a batch. */
    public static void batch(SplittableRandom random, float[] images, int[] labels, int n) {
        for (int i = 0; i < n; i++) {
            draw(random, images, labels, i);
        }
    }

    /**
     * Whether offset {@code (dy, dx)} from the centre lies in a shape of half-size {@code r}: a disc of radius
     * {@code r}, a square of side {@code 2r − 1}, or an upright triangle with its apex at the top and its base
     * {@code 2r + 1} wide at the bottom.
     */
    static boolean inside(int kind, int dy, int dx, int r) {
        return switch (kind) {
            case 1 -> dy * dy + dx * dx <= r * r;
            case 2 -> Math.abs(dy) < r && Math.abs(dx) < r;
            case 3 -> Math.abs(dx) * 2 <= dy + r; // width grows from 0 at dy = −r to 2r at dy = r
            default -> throw new IllegalArgumentException("no shape of class " + kind);
        };
    }
}
