package dev.residual.runtime.gemm;

import java.lang.foreign.MemorySegment;

/**
 * The argument checks every backend runs before it touches memory. A native sgemm handed a wrong leading dimension
 * or a short buffer reads or writes outside it and can crash the JVM; these checks turn that into an
 * {@link IllegalArgumentException} that names the argument and the numbers involved.
 */
public final class GemmArguments {

    private GemmArguments() {}

    /** Checks a full sgemm call; see {@link Gemm#sgemm}. */
    public static void check(boolean transA, boolean transB, int m, int n, int k,
                             MemorySegment a, long aOffset, int lda,
                             MemorySegment b, long bOffset, int ldb,
                             MemorySegment c, long cOffset, int ldc) {
        positive("m", m);
        positive("n", n);
        positive("k", k);
        // Stored shapes, row-major: A is m×k (k×m when transposed), B is k×n (n×k), C is m×n.
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        leading("lda", lda, aCols, transA ? "k×m (transA)" : "m×k");
        leading("ldb", ldb, bCols, transB ? "n×k (transB)" : "k×n");
        leading("ldc", ldc, n, "m×n");
        fits("a", a, aOffset, aRows, aCols, lda);
        fits("b", b, bOffset, bRows, bCols, ldb);
        fits("c", c, cOffset, m, n, ldc);
        if (c.isReadOnly()) {
            throw new IllegalArgumentException("c is read-only; sgemm writes its result into c");
        }
    }

    /** Additionally requires off-heap memory, which a native backend needs to pass addresses. */
    public static void requireNative(MemorySegment a, MemorySegment b, MemorySegment c) {
        nativeSegment("a", a);
        nativeSegment("b", b);
        nativeSegment("c", c);
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + value);
        }
    }

    private static void leading(String name, int ld, int minimum, String stored) {
        if (ld < minimum) {
            throw new IllegalArgumentException(name + " = " + ld + " is smaller than the " + minimum
                    + " columns of the matrix stored " + stored + "; a row-major leading dimension must be at least"
                    + " the number of stored columns");
        }
    }

    private static void fits(String name, MemorySegment segment, long offset, int rows, int cols, int ld) {
        if (segment == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        if (!segment.scope().isAlive()) {
            throw new IllegalArgumentException(name + " belongs to an arena that is already closed");
        }
        if (offset < 0) {
            throw new IllegalArgumentException(name + "Offset must not be negative, got " + offset);
        }
        // The last element touched is at offset + (rows-1)·ld + cols-1.
        long needed = offset + (long) (rows - 1) * ld + cols;
        long available = segment.byteSize() / Float.BYTES;
        if (needed > available) {
            throw new IllegalArgumentException(name + " is too small: a " + rows + "×" + cols + " matrix with leading"
                    + " dimension " + ld + " at offset " + offset + " needs " + needed + " floats, the segment holds "
                    + available);
        }
    }

    private static void nativeSegment(String name, MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException(name + " is a heap segment; the native backend needs off-heap memory"
                    + " (allocate it from an Arena)");
        }
    }

    /** Checks a thread count for {@link Gemm#setThreads}. */
    public static int checkThreads(int threads) {
        int max = Runtime.getRuntime().availableProcessors() * 4;
        if (threads < 1 || threads > max) {
            throw new IllegalArgumentException("threads must be from 1 to " + max + ", got " + threads);
        }
        return threads;
    }
}
