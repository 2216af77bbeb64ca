package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The normalizations' per-row loops in the Vector API, 8 floats a step, for {@link BatchNorm} (and the norms that
 * share its rows) to call when {@link DirectConv2d#vectorApiOn} says the incubator module is there. C2 does not
 * vectorize the scalar loops over segments that may alias (the output may be the input), and they ran at about one
 * float per nanosecond: 13 µs for a batch-1 normalization of 16 channels of 28×28, where these take a few.
 *
 * <p>Each lane does the scalar loop's operations in the same order, each rounded once (Java never fuses a multiply
 * and an add), so the results are the scalar loop's bit for bit; the tail past the last whole vector is the scalar
 * loop itself. Each vector is loaded before the same positions are stored, so the output may be an input.
 *
 * <p>The loads are written out in each loop rather than through a helper method: where C2 did not inline such a
 * helper into a caller, each load returned a boxed vector, and a batch-128 training step allocated 67 MB.
 */
final class VectorRows {

    private VectorRows() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int L = 8;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

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
}
