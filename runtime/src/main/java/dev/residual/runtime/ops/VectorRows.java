package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The normalizations' per-row loops in the Vector API, for {@link BatchNorm} and {@link SampleStats} (and the norms
 * that share them) to call when {@link DirectConv2d#vectorApiOn} says the incubator module is there: the element-wise
 * rows 8 floats a step, the sums in double 4 floats a step. The sums (the training forward's mean and variance, the
 * backward's two sums) made a batch-128 ResNet-20 training step 3–10 % faster in median than the scalar loops' four
 * chains of double additions (482 against 534, 504 against 520 and 476 against 532 ms, the two alternating step by
 * step in one JVM, 30–40 steps each), and 8–12 % in the lower quartile. C2 does not
 * vectorize the scalar loops over segments that may alias (the output may be the input), and they ran at about one
 * float per nanosecond: 13 µs for a batch-1 normalization of 16 channels of 28×28, where these take a few.
 *
 * <p>Each lane does the scalar loop's operations in the same order, each rounded once (Java never fuses a multiply
 * and an add), so the results are the scalar loop's bit for bit. The sums' scalar loops keep four partial sums,
 * element {@code p} into sum {@code p mod 4}: here those are the four lanes of one vector of doubles, so a step adds
 * what the scalar loop's four additions add, and the lanes are added pairwise at the end as it adds its sums; the
 * tail past the last whole vector is the scalar loop itself. Each vector is loaded before the same positions are stored, so the output may be an input.
 *
 * <p>The loads are written out in each loop rather than through a helper method: where C2 did not inline such a
 * helper into a caller, each load returned a boxed vector, and a batch-128 training step allocated 67 MB.
 */
final class VectorRows {

    private VectorRows() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int L = 8;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Four floats, widened to four doubles: one step of the sums. */
    private static final VectorSpecies<Float> FOUR = FloatVector.SPECIES_128;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_256;
    private static final int SUM_STEP = 4;

    /** {@link BatchNorm#normalizeRow}: {@code out = relu?((in − center)·scale + shift (+ residual))}. */
    static void normalize(MemorySegment in, long x, float center, float scale, float shift,
                          MemorySegment residual, long r, boolean relu, MemorySegment out, long y, int length) {
        int whole = length & ~(L - 1);
        FloatVector c = FloatVector.broadcast(S, center);
        FloatVector k = FloatVector.broadcast(S, scale);
        FloatVector b = FloatVector.broadcast(S, shift);
        FloatVector zero = FloatVector.zero(S);
        // One loop per variant, as in the scalar code: C2 compiles each without the branches.
        if (residual == null && relu) {
            for (int i = 0; i < whole; i += L) {
                FloatVector v = FloatVector.fromMemorySegment(S, in, (x + i) * Float.BYTES, ORDER);
                v.sub(c).mul(k).add(b).max(zero).intoMemorySegment(out, (y + i) * Float.BYTES, ORDER);
            }
        } else if (residual == null) {
            for (int i = 0; i < whole; i += L) {
                FloatVector v = FloatVector.fromMemorySegment(S, in, (x + i) * Float.BYTES, ORDER);
                v.sub(c).mul(k).add(b).intoMemorySegment(out, (y + i) * Float.BYTES, ORDER);
            }
        } else if (relu) {
            for (int i = 0; i < whole; i += L) {
                FloatVector v = FloatVector.fromMemorySegment(S, in, (x + i) * Float.BYTES, ORDER);
                FloatVector added = FloatVector.fromMemorySegment(S, residual, (r + i) * Float.BYTES, ORDER);
                v.sub(c).mul(k).add(b).add(added).max(zero).intoMemorySegment(out, (y + i) * Float.BYTES, ORDER);
            }
        } else {
            for (int i = 0; i < whole; i += L) {
                FloatVector v = FloatVector.fromMemorySegment(S, in, (x + i) * Float.BYTES, ORDER);
                FloatVector added = FloatVector.fromMemorySegment(S, residual, (r + i) * Float.BYTES, ORDER);
                v.sub(c).mul(k).add(b).add(added).intoMemorySegment(out, (y + i) * Float.BYTES, ORDER);
            }
        }
        for (int i = whole; i < length; i++) {
            float v = (in.getAtIndex(JAVA_FLOAT, x + i) - center) * scale + shift;
            if (residual != null) {
                v += residual.getAtIndex(JAVA_FLOAT, r + i);
            }
            out.setAtIndex(JAVA_FLOAT, y + i, relu ? Math.max(v, 0f) : v);
        }
    }

    /** {@link BatchNorm#normBackwardRun}: {@code dIn (+)= dOut·scale + (in − center)·slope + shift}. */
    static void normBackward(MemorySegment in, long x, float center, float slope, MemorySegment dOut, long g,
                             float scale, float shift, MemorySegment dIn, long d, boolean accumulate, int length) {
        int whole = length & ~(L - 1);
        FloatVector c = FloatVector.broadcast(S, center);
        FloatVector s = FloatVector.broadcast(S, slope);
        FloatVector k = FloatVector.broadcast(S, scale);
        FloatVector b = FloatVector.broadcast(S, shift);
        if (accumulate) {
            for (int i = 0; i < whole; i += L) {
                FloatVector gradient = FloatVector.fromMemorySegment(S, dOut, (g + i) * Float.BYTES, ORDER);
                FloatVector input = FloatVector.fromMemorySegment(S, in, (x + i) * Float.BYTES, ORDER);
                FloatVector prior = FloatVector.fromMemorySegment(S, dIn, (d + i) * Float.BYTES, ORDER);
                FloatVector v = gradient.mul(k).add(input.sub(c).mul(s)).add(b);
                prior.add(v).intoMemorySegment(dIn, (d + i) * Float.BYTES, ORDER);
            }
        } else {
            for (int i = 0; i < whole; i += L) {
                FloatVector gradient = FloatVector.fromMemorySegment(S, dOut, (g + i) * Float.BYTES, ORDER);
                FloatVector input = FloatVector.fromMemorySegment(S, in, (x + i) * Float.BYTES, ORDER);
                gradient.mul(k).add(input.sub(c).mul(s)).add(b).intoMemorySegment(dIn, (d + i) * Float.BYTES, ORDER);
            }
        }
        for (int i = whole; i < length; i++) {
            float v = dOut.getAtIndex(JAVA_FLOAT, g + i) * scale
                    + (in.getAtIndex(JAVA_FLOAT, x + i) - center) * slope + shift;
            dIn.setAtIndex(JAVA_FLOAT, d + i, accumulate ? dIn.getAtIndex(JAVA_FLOAT, d + i) + v : v);
        }
    }

    /** {@link SampleStats}' run sum: {@code Σ x} over the {@code length} floats at {@code x}. */
    static double sum(MemorySegment in, long x, int length) {
        int whole = length & ~(SUM_STEP - 1);
        DoubleVector sums = DoubleVector.zero(D);
        for (int i = 0; i < whole; i += SUM_STEP) {
            DoubleVector v = (DoubleVector) FloatVector.fromMemorySegment(FOUR, in, (x + i) * Float.BYTES, ORDER)
                    .convertShape(VectorOperators.F2D, D, 0);
            sums = sums.add(v);
        }
        double s0 = sums.lane(0);
        for (int i = whole; i < length; i++) {
            s0 += in.getAtIndex(JAVA_FLOAT, x + i);
        }
        return (s0 + sums.lane(1)) + (sums.lane(2) + sums.lane(3));
    }

    /** {@link SampleStats}' run of squared deviations: {@code Σ (x − mean)²} over the {@code length} floats at x. */
    static double squaredDeviation(MemorySegment in, long x, int length, double mean) {
        int whole = length & ~(SUM_STEP - 1);
        DoubleVector m = DoubleVector.broadcast(D, mean);
        DoubleVector sums = DoubleVector.zero(D);
        for (int i = 0; i < whole; i += SUM_STEP) {
            DoubleVector v = (DoubleVector) FloatVector.fromMemorySegment(FOUR, in, (x + i) * Float.BYTES, ORDER)
                    .convertShape(VectorOperators.F2D, D, 0);
            DoubleVector deviation = v.sub(m);
            sums = sums.add(deviation.mul(deviation));
        }
        double s0 = sums.lane(0);
        for (int i = whole; i < length; i++) {
            double deviation = in.getAtIndex(JAVA_FLOAT, x + i) - mean;
            s0 += deviation * deviation;
        }
        return (s0 + sums.lane(1)) + (sums.lane(2) + sums.lane(3));
    }

    /**
     * The batch norm backward's two sums over one channel's run: {@code Σ dOut} into {@code sums[0]} and
     * {@code Σ dOut·(in − center)} into {@code sums[1]}, {@code in − center} rounded to float first as the scalar loop
     * does.
     */
    static void gradientSums(MemorySegment in, long x, float center, MemorySegment dOut, long g, int length,
                             double[] sums) {
        int whole = length & ~(SUM_STEP - 1);
        FloatVector c = FloatVector.broadcast(FOUR, center);
        DoubleVector dy = DoubleVector.zero(D);
        DoubleVector dc = DoubleVector.zero(D);
        for (int i = 0; i < whole; i += SUM_STEP) {
            DoubleVector gradient = (DoubleVector) FloatVector.fromMemorySegment(FOUR, dOut, (g + i) * Float.BYTES,
                    ORDER).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector centered = (DoubleVector) FloatVector.fromMemorySegment(FOUR, in, (x + i) * Float.BYTES,
                    ORDER).sub(c).convertShape(VectorOperators.F2D, D, 0);
            dy = dy.add(gradient);
            dc = dc.add(gradient.mul(centered));
        }
        double dy0 = dy.lane(0), dc0 = dc.lane(0);
        for (int i = whole; i < length; i++) {
            double gradient = dOut.getAtIndex(JAVA_FLOAT, g + i);
            dy0 += gradient;
            dc0 += gradient * (in.getAtIndex(JAVA_FLOAT, x + i) - center);
        }
        sums[0] = (dy0 + dy.lane(1)) + (dy.lane(2) + dy.lane(3));
        sums[1] = (dc0 + dc.lane(1)) + (dc.lane(2) + dc.lane(3));
    }

    /**
     * {@link BatchNorm#backwardThroughAdd}'s undoing of a fused ReLU and residual add over one run: {@code dOut}
     * masked in place where {@code y ≤ 0} (when {@code y} is given), then written or added to {@code dResidual} (when
     * given).
     */
    static void undoReluAndAdd(MemorySegment dOut, long g, MemorySegment y, long o, MemorySegment dResidual, long r,
                               boolean accumulateResidual, int length) {
        int whole = length & ~(L - 1);
        FloatVector zero = FloatVector.zero(S);
        // One loop per variant, as in normalize.
        if (y != null && dResidual == null) {
            for (int i = 0; i < whole; i += L) {
                FloatVector gradient = FloatVector.fromMemorySegment(S, dOut, (g + i) * Float.BYTES, ORDER);
                FloatVector output = FloatVector.fromMemorySegment(S, y, (o + i) * Float.BYTES, ORDER);
                zero.blend(gradient, output.compare(VectorOperators.GT, 0f))
                        .intoMemorySegment(dOut, (g + i) * Float.BYTES, ORDER);
            }
        } else if (y != null && accumulateResidual) {
            for (int i = 0; i < whole; i += L) {
                FloatVector gradient = FloatVector.fromMemorySegment(S, dOut, (g + i) * Float.BYTES, ORDER);
                FloatVector output = FloatVector.fromMemorySegment(S, y, (o + i) * Float.BYTES, ORDER);
                FloatVector prior = FloatVector.fromMemorySegment(S, dResidual, (r + i) * Float.BYTES, ORDER);
                FloatVector pass = zero.blend(gradient, output.compare(VectorOperators.GT, 0f));
                pass.intoMemorySegment(dOut, (g + i) * Float.BYTES, ORDER);
                prior.add(pass).intoMemorySegment(dResidual, (r + i) * Float.BYTES, ORDER);
            }
        } else if (y != null) {
            for (int i = 0; i < whole; i += L) {
                FloatVector gradient = FloatVector.fromMemorySegment(S, dOut, (g + i) * Float.BYTES, ORDER);
                FloatVector output = FloatVector.fromMemorySegment(S, y, (o + i) * Float.BYTES, ORDER);
                FloatVector pass = zero.blend(gradient, output.compare(VectorOperators.GT, 0f));
                pass.intoMemorySegment(dOut, (g + i) * Float.BYTES, ORDER);
                pass.intoMemorySegment(dResidual, (r + i) * Float.BYTES, ORDER);
            }
        } else if (accumulateResidual) {
            for (int i = 0; i < whole; i += L) {
                FloatVector gradient = FloatVector.fromMemorySegment(S, dOut, (g + i) * Float.BYTES, ORDER);
                FloatVector prior = FloatVector.fromMemorySegment(S, dResidual, (r + i) * Float.BYTES, ORDER);
                prior.add(gradient).intoMemorySegment(dResidual, (r + i) * Float.BYTES, ORDER);
            }
        } else {
            MemorySegment.copy(dOut, g * Float.BYTES, dResidual, r * Float.BYTES, (long) whole * Float.BYTES);
        }
        BatchNorm.undoReluAndAddRun(dOut, g, y, o, dResidual, r, accumulateResidual, whole, length);
    }
}
