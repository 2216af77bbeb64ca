package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.util.random.RandomGenerator;

/**
 * PyTorch's default parameter initialization, driven by a generator the caller seeds (for instance
 * {@code new SplittableRandom(seed)}): the same seed and the same order of calls give the same parameters, bit for
 * bit. The distributions match PyTorch's; the random streams do not (PyTorch's generator is not reproduced).
 *
 * <p>{@code nn.Conv2d} and {@code nn.Linear} initialize their weight with {@code kaiming_uniform_(a=√5)}: gain
 * {@code √(2/(1+a²)) = √(1/3)}, standard deviation {@code gain/√fan_in}, bound {@code √3·std = 1/√fan_in}; and their
 * bias uniformly in {@code ±1/√fan_in}. Norm layers start as the identity.
 */
public final class Init {

    private Init() {}

    /**
     * Fills {@code count} floats uniformly from {@code [−bound, bound)}.
     *
     * @param random the seeded generator, advanced by {@code count} draws
     */
    public static void uniform(RandomGenerator random, MemorySegment segment, long offset, long count, double bound) {
        for (long i = 0; i < count; i++) {
            segment.setAtIndex(JAVA_FLOAT, offset + i, (float) ((2 * random.nextDouble() - 1) * bound));
        }
    }

    /** Fills {@code count} floats with {@code value}. */
    public static void fill(MemorySegment segment, long offset, long count, float value) {
        for (long i = 0; i < count; i++) {
            segment.setAtIndex(JAVA_FLOAT, offset + i, value);
        }
    }

    /**
     * A convolution as {@code nn.Conv2d.reset_parameters} does it: fan-in {@code C·K·K}, weight then bias.
     *
     * @param weight {@code F×C×K×K} floats
     * @param bias   {@code F} floats, or {@code null} for a convolution without bias
     */
    public static void conv2d(RandomGenerator random, MemorySegment weight, long wOff, int F, int C, int K,
                              MemorySegment bias, long bOff) {
        double bound = 1 / Math.sqrt((double) C * K * K);
        uniform(random, weight, wOff, (long) F * C * K * K, bound);
        if (bias != null) {
            uniform(random, bias, bOff, F, bound);
        }
    }

    /**
     * A dense layer as {@code nn.Linear.reset_parameters} does it: fan-in {@code inF}, weight then bias.
     *
     * @param weight {@code units×inF} floats
     * @param bias   {@code units} floats, or {@code null}
     */
    public static void dense(RandomGenerator random, MemorySegment weight, long wOff, int units, int inF,
                             MemorySegment bias, long bOff) {
        double bound = 1 / Math.sqrt(inF);
        uniform(random, weight, wOff, (long) units * inF, bound);
        if (bias != null) {
            uniform(random, bias, bOff, units, bound);
        }
    }

    /**
     * A norm's affine parameters as PyTorch starts them: {@code gamma = 1}, {@code beta = 0}.
     *
     * @param count channels (batch and group norm) or normalized features (layer norm, {@code C·H·W})
     */
    public static void norm(MemorySegment gamma, long gOff, MemorySegment beta, long bOff, int count) {
        fill(gamma, gOff, count, 1f);
        fill(beta, bOff, count, 0f);
    }

    /** Batch norm's running statistics as PyTorch starts them: mean 0, variance 1, over {@code C} channels. */
    public static void runningStats(MemorySegment mean, long mOff, MemorySegment var, long vOff, int C) {
        fill(mean, mOff, C, 0f);
        fill(var, vOff, C, 1f);
    }
}
