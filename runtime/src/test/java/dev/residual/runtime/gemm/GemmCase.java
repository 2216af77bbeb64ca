package dev.residual.runtime.gemm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * One sgemm problem with random operands, padded leading dimensions and offsets, plus the double-precision reference
 * answer to check a backend against.
 */
final class GemmCase {

    final boolean transA, transB;
    final int m, n, k, lda, ldb, ldc;
    final long aOffset, bOffset, cOffset;
    final float alpha, beta;
    final MemorySegment a, b, c, cBefore;

    GemmCase(Arena arena, long seed, boolean transA, boolean transB, int m, int n, int k, int pad, long offset,
             float alpha, float beta) {
        this.transA = transA;
        this.transB = transB;
        this.m = m;
        this.n = n;
        this.k = k;
        this.alpha = alpha;
        this.beta = beta;
        this.lda = (transA ? m : k) + pad;
        this.ldb = (transB ? k : n) + pad;
        this.ldc = n + pad;
        this.aOffset = offset;
        this.bOffset = offset * 2;
        this.cOffset = offset * 3;
        SplittableRandom random = new SplittableRandom(seed);
        this.a = random(arena, random, aOffset + (long) (transA ? k : m) * lda);
        this.b = random(arena, random, bOffset + (long) (transB ? n : k) * ldb);
        this.c = random(arena, random, cOffset + (long) m * ldc);
        this.cBefore = arena.allocate(c.byteSize(), 64).copyFrom(c);
    }

    void run(Gemm gemm) {
        gemm.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    }

    float get(MemorySegment segment, long index) {
        return segment.getAtIndex(ValueLayout.JAVA_FLOAT, index);
    }

    double opA(int i, int p) {
        return get(a, aOffset + (transA ? (long) p * lda + i : (long) i * lda + p));
    }

    double opB(int p, int j) {
        return get(b, bOffset + (transB ? (long) j * ldb + p : (long) p * ldb + j));
    }

    /**
     * Checks every element of C against a double-precision reference, with a tolerance scaled by the magnitude of
     * the terms summed (float rounding grows with k and with the size of what is added), and checks that the padding
     * between rows of C was not touched.
     */
    void assertMatchesReference() {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++) {
                    double term = opA(i, p) * opB(p, j);
                    sum += term;
                    magnitude += Math.abs(term);
                }
                long index = cOffset + (long) i * ldc + j;
                double old = beta == 0 ? 0 : get(cBefore, index); // beta = 0 must ignore C, NaNs included
                double expected = alpha * sum + beta * old;
                double tolerance = 1e-6 * (Math.abs(alpha) * magnitude + Math.abs(beta * old)) * Math.sqrt(k) + 1e-30;
                double actual = get(c, index);
                assertTrue(Math.abs(actual - expected) <= tolerance, () -> "C[" + index + "] = " + actual
                        + ", expected " + expected + " ± " + tolerance + " for " + this);
            }
            for (int j = n; j < ldc && i < m - 1; j++) {
                long index = cOffset + (long) i * ldc + j;
                assertTrue(Float.compare(get(c, index), get(cBefore, index)) == 0, "padding of C was written");
            }
        }
    }

    static MemorySegment random(Arena arena, SplittableRandom random, long count) {
        MemorySegment segment = arena.allocate(count * Float.BYTES, 64);
        for (long i = 0; i < count; i++) {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (random.nextDouble() * 2 - 1));
        }
        return segment;
    }

    @Override
    public String toString() {
        return "sgemm(" + (transA ? "T" : "N") + (transB ? "T" : "N") + ", m=" + m + ", n=" + n + ", k=" + k
                + ", lda=" + lda + ", ldb=" + ldb + ", ldc=" + ldc + ", alpha=" + alpha + ", beta=" + beta + ")";
    }
}
