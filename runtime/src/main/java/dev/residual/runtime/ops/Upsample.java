package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Nearest-neighbour upsampling by an integer factor, PyTorch's {@code nn.Upsample(scale_factor=s, mode="nearest")}:
 * output pixel {@code (y, x)} is input pixel {@code (y / s, x / s)}. Its backward sums the gradient of each
 * {@code s×s} square onto the pixel it copied.
 *
 * <p>Maps are channel-major; channel {@code c} of sample {@code i} is image {@code c·n + i} in both, so both passes
 * walk {@code C·n} images. Each input row becomes one output row written pixel by pixel and then copied
 * {@code s − 1} times in bulk.
 */
public final class Upsample {

    private Upsample() {}

    /**
     * {@code out[c, i, y, x] = in[c, i, y / scale, x / scale]}.
     *
     * @param in    {@code C×(n·H·W)}
     * @param H     input height
     * @param W     input width
     * @param scale the factor, {@code ≥ 1}
     * @param out   {@code C×(n·(scale·H)·(scale·W))}; must not overlap {@code in}
     */
    public static void nearest(MemorySegment in, long inOff, int C, int H, int W, int n, int scale,
                               MemorySegment out, long outOff) {
        check(C, H, W, n, scale);
        int Wo = W * scale;
        long images = (long) C * n;
        for (long image = 0; image < images; image++) {
            long src = inOff + image * H * W;
            long dst = outOff + image * H * W * scale * scale;
            for (int y = 0; y < H; y++) {
                long row = dst + (long) y * scale * Wo;
                for (int x = 0; x < W; x++) {
                    float value = in.getAtIndex(JAVA_FLOAT, src + (long) y * W + x);
                    for (int k = 0; k < scale; k++) {
                        out.setAtIndex(JAVA_FLOAT, row + (long) x * scale + k, value);
                    }
                }
                for (int k = 1; k < scale; k++) {
                    Layout.copy(out, row, out, row + (long) k * Wo, Wo);
                }
            }
        }
    }

    /**
     * {@code dIn[c, i, y, x] = Σ dOut} over the {@code scale×scale} square that pixel was copied to.
     *
     * @param dOut       {@code C×(n·(scale·H)·(scale·W))}
     * @param H          input height
     * @param W          input width
     * @param dIn        {@code C×(n·H·W)}, or {@code null} when the input needs no gradient
     * @param accumulate {@code true} adds onto {@code dIn}, {@code false} overwrites it
     */
    public static void nearestBackward(MemorySegment dOut, long dOutOff, int C, int H, int W, int n, int scale,
                                       MemorySegment dIn, long dInOff, boolean accumulate) {
        check(C, H, W, n, scale);
        if (dIn == null) {
            return;
        }
        int Wo = W * scale;
        long images = (long) C * n;
        for (long image = 0; image < images; image++) {
            long src = dOutOff + image * H * W * scale * scale;
            long dst = dInOff + image * H * W;
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    float sum = 0;
                    for (int dy = 0; dy < scale; dy++) {
                        long row = src + (long) (y * scale + dy) * Wo + (long) x * scale;
                        for (int dx = 0; dx < scale; dx++) {
                            sum += dOut.getAtIndex(JAVA_FLOAT, row + dx);
                        }
                    }
                    long at = dst + (long) y * W + x;
                    dIn.setAtIndex(JAVA_FLOAT, at, accumulate ? dIn.getAtIndex(JAVA_FLOAT, at) + sum : sum);
                }
            }
        }
    }

    private static void check(int C, int H, int W, int n, int scale) {
        if (C < 1 || H < 1 || W < 1 || n < 1 || scale < 1) {
            throw new IllegalArgumentException("need C, H, W, n, scale ≥ 1; got C " + C + ", H " + H + ", W " + W
                    + ", n " + n + ", scale " + scale);
        }
    }
}
