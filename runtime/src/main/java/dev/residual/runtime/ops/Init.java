package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.residual.runtime.model.ParameterSpec;
import dev.residual.runtime.random.TorchGenerator;
import java.lang.foreign.MemorySegment;

/**
 * PyTorch's default parameter initialization, drawn from a {@link TorchGenerator}: parameters filled in the order a
 * PyTorch module constructs them, from a generator seeded with {@code s}, equal the parameters PyTorch gives that
 * module after {@code torch.manual_seed(s)}, bit for bit (embedding tables to a float's last place or two; see
 * {@link TorchGenerator#normal}).
 *
 * <p>{@code nn.Conv2d} and {@code nn.Linear} initialize their weight with {@code kaiming_uniform_(a=√5)}: gain
 * {@code √(2/(1+a²)) = √(1/3)}, standard deviation {@code gain/√fan_in}, bound {@code √3·std}, about
 * {@code 1/√fan_in}; and their bias uniformly in {@code ±1/√fan_in}. {@code nn.Embedding} draws {@code N(0, 1)}.
 * Norm layers start as the identity. The bounds are computed in {@code double} as PyTorch's Python code computes them,
 * since the two formulas can round to different floats.
 */
public final class Init {

    private Init() {}

    /** One parameter or buffer, as its PyTorch module's constructor fills it. */
    public static void parameter(TorchGenerator random, ParameterSpec.Init kind, int fanIn, MemorySegment segment,
                                 long offset, long count) {
        switch (kind) {
            case ONES -> fill(segment, offset, count, 1f);
            case ZEROS -> fill(segment, offset, count, 0f);
            case NORMAL -> normal(random, segment, offset, count);
            case KAIMING_UNIFORM -> uniform(random, segment, offset, count, kaimingBound(fanIn));
            case FAN_IN_UNIFORM -> uniform(random, segment, offset, count, 1 / Math.sqrt(fanIn));
        }
    }

    /** {@code kaiming_uniform_(a=√5)}'s bound for a fan-in, in PyTorch's order of operations. */
    static double kaimingBound(int fanIn) {
        double a = Math.sqrt(5);
        double gain = Math.sqrt(2.0 / (1 + Math.pow(a, 2)));
        return Math.sqrt(3.0) * (gain / Math.sqrt(fanIn));
    }

    /**
     * Fills {@code count} floats as {@code uniform_(-bound, bound)} does.
     *
     * @param random advanced by {@code count} draws
     */
    public static void uniform(TorchGenerator random, MemorySegment segment, long offset, long count, double bound) {
        for (long i = 0; i < count; i++) {
            segment.setAtIndex(JAVA_FLOAT, offset + i, random.uniform(-bound, bound));
        }
    }

    /** Fills {@code count} floats as {@code normal_()} does (mean 0, standard deviation 1). */
    public static void normal(TorchGenerator random, MemorySegment segment, long offset, long count) {
        float[] values = new float[Math.toIntExact(count)];
        random.normal(values, 0f, 1f);
        MemorySegment.copy(values, 0, segment, JAVA_FLOAT, offset * Float.BYTES, values.length);
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
    public static void conv2d(TorchGenerator random, MemorySegment weight, long wOff, int F, int C, int K,
                              MemorySegment bias, long bOff) {
        layer(random, weight, wOff, (long) F * C * K * K, C * K * K, bias, bOff, F);
    }

    /**
     * A dense layer as {@code nn.Linear.reset_parameters} does it: fan-in {@code inF}, weight then bias.
     *
     * @param weight {@code units×inF} floats
     * @param bias   {@code units} floats, or {@code null}
     */
    public static void dense(TorchGenerator random, MemorySegment weight, long wOff, int units, int inF,
                             MemorySegment bias, long bOff) {
        layer(random, weight, wOff, (long) units * inF, inF, bias, bOff, units);
    }

    private static void layer(TorchGenerator random, MemorySegment weight, long wOff, long weights, int fanIn,
                              MemorySegment bias, long bOff, int biases) {
        parameter(random, ParameterSpec.Init.KAIMING_UNIFORM, fanIn, weight, wOff, weights);
        if (bias != null) {
            parameter(random, ParameterSpec.Init.FAN_IN_UNIFORM, fanIn, bias, bOff, biases);
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
