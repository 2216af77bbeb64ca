package dev.residual.runtime.optim;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;

/**
 * The gradient checks of a training step: detection of NaN and infinite values, and clipping by the global L2 norm.
 *
 * <p><b>Non-finite detection</b> ({@link #allFinite}) looks only at the exponent bits (all ones for NaN and ±∞),
 * reading the floats as ints and folding them with a branch-free maximum; it stops at the first 4096-float chunk that
 * holds a non-finite value. A training step calls it on the gradients (and checks the loss) to report a diverging
 * step instead of applying it.
 *
 * <p><b>Clipping</b> by the global L2 norm works as {@code torch.nn.utils.clip_grad_norm_(parameters, maxNorm)}
 * does over all parameters of a model viewed as one vector: with {@code norm = ‖grads‖₂} and
 * {@code coef = maxNorm/(norm + 1e-6)}, the gradients are multiplied by {@code coef} when {@code coef < 1} and left
 * alone otherwise. The norm is summed in double (4 accumulators), so it is at least as accurate as PyTorch's float32
 * norm; the gradients are scaled in float by {@code (float) coef}.
 *
 * <p>A non-finite norm (a NaN or infinite gradient) leaves the gradients untouched — PyTorch would multiply them by
 * NaN or 0 — and is returned so that the caller can skip the update.
 */
public final class GradientClipping {

    /** Added to the norm before dividing, as in PyTorch. */
    public static final double EPSILON = 1e-6;

    private static final int ABS_MASK = 0x7fff_ffff;
    /** The bits of +∞: every non-finite float has {@code (bits & ABS_MASK) >= INFINITY_BITS}. */
    private static final int INFINITY_BITS = 0x7f80_0000;
    private static final long CHUNK = 4096;

    private GradientClipping() {}

    /** Whether all {@code floats} floats at offset 0 are finite. */
    public static boolean allFinite(MemorySegment segment, long floats) {
        return allFinite(segment, 0, floats);
    }

    /** Whether all {@code floats} floats at float offset {@code off} are finite (true for none). */
    public static boolean allFinite(MemorySegment segment, long off, long floats) {
        Checks.block("segment", segment, off, floats);
        for (long start = 0; start < floats; start += CHUNK) {
            long end = Math.min(floats, start + CHUNK);
            int max = 0;
            for (long i = start; i < end; i++) {
                max = Math.max(max, segment.getAtIndex(JAVA_INT, off + i) & ABS_MASK);
            }
            if (max >= INFINITY_BITS) {
                return false;
            }
        }
        return true;
    }

    /**
     * The index (counted from {@code off}) of the first NaN or infinite float among {@code floats}, or -1 if all are
     * finite: for the message once {@link #allFinite} said no.
     */
    public static long firstNonFinite(MemorySegment segment, long off, long floats) {
        Checks.block("segment", segment, off, floats);
        for (long i = 0; i < floats; i++) {
            if ((segment.getAtIndex(JAVA_INT, off + i) & ABS_MASK) >= INFINITY_BITS) {
                return i;
            }
        }
        return -1;
    }

    /** {@link #clipByGlobalNorm(MemorySegment, long, long, double)} of a block starting at offset 0. */
    public static double clipByGlobalNorm(MemorySegment grads, long floats, double maxNorm) {
        return clipByGlobalNorm(grads, 0, floats, maxNorm);
    }

    /**
     * Scales {@code floats} gradients at {@code off} in place so that their L2 norm is at most about {@code maxNorm}.
     *
     * @param maxNorm the largest norm left unscaled, {@code > 0}
     * @return the L2 norm of the gradients before clipping (NaN or infinite when a gradient is; nothing is scaled
     *         then)
     */
    public static double clipByGlobalNorm(MemorySegment grads, long off, long floats, double maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("maxNorm is " + maxNorm + "; it must be > 0");
        }
        double norm = globalNorm(grads, off, floats);
        double coef = maxNorm / (norm + EPSILON);
        if (coef < 1) { // false for a NaN norm; 0 for an infinite one, which would turn every gradient into NaN or 0
            if (Double.isFinite(norm)) {
                scale(grads, off, floats, (float) coef);
            }
        }
        return norm;
    }

    /** The L2 norm of {@code floats} floats at {@code off}, summed in double. */
    public static double globalNorm(MemorySegment grads, long off, long floats) {
        Checks.block("grads", grads, off, floats);
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        long i = 0;
        for (; i + 4 <= floats; i += 4) {
            double a = grads.getAtIndex(JAVA_FLOAT, off + i);
            double b = grads.getAtIndex(JAVA_FLOAT, off + i + 1);
            double c = grads.getAtIndex(JAVA_FLOAT, off + i + 2);
            double d = grads.getAtIndex(JAVA_FLOAT, off + i + 3);
            s0 += a * a;
            s1 += b * b;
            s2 += c * c;
            s3 += d * d;
        }
        for (; i < floats; i++) {
            double a = grads.getAtIndex(JAVA_FLOAT, off + i);
            s0 += a * a;
        }
        return Math.sqrt((s0 + s1) + (s2 + s3));
    }

    private static void scale(MemorySegment grads, long off, long floats, float factor) {
        for (long i = 0; i < floats; i++) {
            grads.setAtIndex(JAVA_FLOAT, off + i, grads.getAtIndex(JAVA_FLOAT, off + i) * factor);
        }
    }
}
