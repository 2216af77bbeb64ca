package dev.residual.runtime.gemm;

import dev.residual.runtime.parallel.Parts;
import java.lang.foreign.MemorySegment;

/**
 * Single-precision general matrix multiply over off-heap memory, row-major:
 * {@code C = alpha · op(A) · op(B) + beta · C}, where {@code op(X)} is {@code X} or its transpose.
 *
 * <p>{@code op(A)} is {@code m × k}, {@code op(B)} is {@code k × n} and {@code C} is {@code m × n}. Each matrix
 * starts at an offset (counted in floats, not bytes) into its segment and has a leading dimension: the distance,
 * in floats, between the starts of two consecutive stored rows. Every argument is checked before any work (see
 * {@link GemmArguments}); a bad one is an {@link IllegalArgumentException} naming it, never a JVM crash.
 *
 * <p>An instance is used by one thread at a time. How many threads it uses internally is set with
 * {@link #setThreads(int)}; that is the one knob for who owns parallelism.
 */
public interface Gemm {

    /**
     * Computes {@code C = alpha · op(A) · op(B) + beta · C}.
     *
     * @param transA  whether {@code A} is stored transposed ({@code k × m})
     * @param transB  whether {@code B} is stored transposed ({@code n × k})
     * @param m       rows of {@code op(A)} and of {@code C}
     * @param n       columns of {@code op(B)} and of {@code C}
     * @param k       columns of {@code op(A)}, rows of {@code op(B)}
     * @param alpha   scale of the product
     * @param a       memory holding {@code A}
     * @param aOffset index of {@code A}'s first float in {@code a}
     * @param lda     leading dimension of {@code A} as stored
     * @param b       memory holding {@code B}
     * @param bOffset index of {@code B}'s first float in {@code b}
     * @param ldb     leading dimension of {@code B} as stored
     * @param beta    scale of the old {@code C}; 0 overwrites {@code C} (NaNs in it are not propagated)
     * @param c       memory holding {@code C}, written in place
     * @param cOffset index of {@code C}'s first float in {@code c}
     * @param ldc     leading dimension of {@code C}
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k,
               float alpha, MemorySegment a, long aOffset, int lda,
               MemorySegment b, long bOffset, int ldb,
               float beta, MemorySegment c, long cOffset, int ldc);

    /** {@link #sgemm(boolean, boolean, int, int, int, float, MemorySegment, long, int, MemorySegment, long, int, float, MemorySegment, long, int)} with every offset 0. */
    default void sgemm(boolean transA, boolean transB, int m, int n, int k,
                       float alpha, MemorySegment a, int lda, MemorySegment b, int ldb,
                       float beta, MemorySegment c, int ldc) {
        sgemm(transA, transB, m, n, k, alpha, a, 0, lda, b, 0, ldb, beta, c, 0, ldc);
    }

    /**
     * How many bands of columns a caller should cut an {@code m×n×k} product into and hand to {@link #runBands}, doing
     * its own preparation of each band's operand on the band's thread (a convolution unrolls its input band by band):
     * 1, the default, means not to. {@link OpenBlasGemm} says more than 1 for the small products it would otherwise run
     * on one thread.
     */
    default int columnBands(int m, int n, int k) {
        return 1;
    }

    /**
     * Runs bands {@code 0 .. count−1}, each band's products on one thread, the bands shared among this backend's
     * threads; returns when all are done. The default runs them one after another on the caller.
     */
    default void runBands(Parts bands, int count) {
        for (int band = 0; band < count; band++) {
            bands.runPart(band);
        }
    }

    /**
     * Keeps the threads that share {@link #runBands} ready until {@link #releaseBands}: a compiled model calls it
     * around a pass, which at a small batch is a run of calls of tens of microseconds each, so that they do not each
     * wait for a parked thread to wake. The default does nothing.
     */
    default void holdBands() {
    }

    /** Ends one {@link #holdBands}. */
    default void releaseBands() {
    }

    /** The number of threads one call may use. */
    int threads();

    /** Sets the number of threads one call may use, from 1 to {@link Runtime#availableProcessors()}·4. */
    void setThreads(int threads);

    /** A short name: {@code "openblas"} or {@code "java"}. */
    String name();

    /** Where this backend came from and how it is configured, for logs and {@code doctor}. */
    String describe();
}
