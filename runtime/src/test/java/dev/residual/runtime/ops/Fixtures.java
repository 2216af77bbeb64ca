package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * Test plumbing shared by the kernel tests: tensors placed at an offset inside a larger segment surrounded by a
 * sentinel, explicit conversions between NCHW and the channel-major layout, and tolerance checks.
 */
final class Fixtures {

    private Fixtures() {}

    /** The batch the buffers are planned for; tests run smaller batches to check that {@code n} is honoured. */
    static final int MAX_N = 5;
    /** Floats before each tensor, so that every kernel is exercised with non-zero offsets. */
    static final long LEAD = 13;
    private static final long TRAIL = 11;
    /** A NaN with a payload no kernel computes: any float still holding it was never written. */
    static final int SENTINEL_BITS = 0x7fc0dead;

    /** A tensor at {@code off} in its own segment, with room for {@code capacity} floats. */
    record Buf(MemorySegment seg, long off, long capacity) {

        float get(long i) {
            return seg.getAtIndex(JAVA_FLOAT, off + i);
        }

        void set(long i, float value) {
            seg.setAtIndex(JAVA_FLOAT, off + i, value);
        }

        float[] read(int count) {
            float[] values = new float[count];
            for (int i = 0; i < count; i++) {
                values[i] = get(i);
            }
            return values;
        }

        /** Fails unless every float outside {@code [off, off + used)} still holds the sentinel. */
        void assertUntouchedBeyond(long used, String what) {
            long end = seg.byteSize() / Float.BYTES;
            for (long i = 0; i < end; i++) {
                if (i >= off && i < off + used) {
                    continue;
                }
                int bits = Float.floatToRawIntBits(seg.getAtIndex(JAVA_FLOAT, i));
                if (bits != SENTINEL_BITS) {
                    fail(what + ": float " + (i - off) + " outside the " + used + " written was overwritten");
                }
            }
        }
    }

    /** Room for {@code capacity} floats, every float (and the margins) set to the sentinel. */
    static Buf empty(Arena arena, long capacity) {
        MemorySegment segment = arena.allocate((LEAD + capacity + TRAIL) * Float.BYTES, 64);
        for (long i = 0; i < segment.byteSize() / Float.BYTES; i++) {
            segment.setAtIndex(JAVA_FLOAT, i, Float.intBitsToFloat(SENTINEL_BITS));
        }
        return new Buf(segment, LEAD, capacity);
    }

    /** {@code values} at the start of room for {@code capacity} floats; the rest is sentinel. */
    static Buf place(Arena arena, float[] values, long capacity) {
        Buf buf = empty(arena, capacity);
        for (int i = 0; i < values.length; i++) {
            buf.set(i, values[i]);
        }
        return buf;
    }

    static Buf place(Arena arena, float[] values) {
        return place(arena, values, values.length);
    }

    static float[] uniform(SplittableRandom random, int count, double lo, double hi) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextDouble(lo, hi);
        }
        return values;
    }

    /** NCHW ({@code n×C×hw}) to channel-major ({@code C×n·hw}), written out index by index. */
    static float[] toChannelMajor(float[] nchw, int n, int C, int hw) {
        float[] cm = new float[nchw.length];
        for (int s = 0; s < n; s++) {
            for (int c = 0; c < C; c++) {
                for (int p = 0; p < hw; p++) {
                    cm[(c * n + s) * hw + p] = nchw[(s * C + c) * hw + p];
                }
            }
        }
        return cm;
    }

    /** Channel-major back to NCHW. */
    static float[] toNchw(float[] cm, int n, int C, int hw) {
        float[] nchw = new float[cm.length];
        for (int s = 0; s < n; s++) {
            for (int c = 0; c < C; c++) {
                for (int p = 0; p < hw; p++) {
                    nchw[(s * C + c) * hw + p] = cm[(c * n + s) * hw + p];
                }
            }
        }
        return nchw;
    }

    /**
     * Fails unless {@code |actual − expected| ≤ rtol · magnitude} everywhere. {@code magnitude} bounds the size of the
     * terms that made each value (e.g. {@code Σ|w·x|} for a dot product), which is what float rounding error scales
     * with; {@code null} means {@code |expected|}. A tiny absolute floor admits exact zeros.
     */
    static void assertClose(double[] expected, double[] magnitude, float[] actual, double rtol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double scale = magnitude == null ? Math.abs(expected[i]) : magnitude[i];
            double error = Math.abs(actual[i] - expected[i]);
            if (!(error <= rtol * scale + 1e-30)) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (error " + error
                        + ", allowed " + rtol * scale + ")");
            }
        }
    }

    static double[] abs(double[] values) {
        double[] result = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = Math.abs(values[i]);
        }
        return result;
    }
}
