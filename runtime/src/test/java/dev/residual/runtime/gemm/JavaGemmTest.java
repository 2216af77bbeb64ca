package dev.residual.runtime.gemm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Checks {@link JavaGemm} against a double-precision reference. Shapes are chosen to cross the kernel's block edges:
 * odd rows (the kernel takes row pairs), {@code k} not a multiple of 4 and above {@code KC = 256}, {@code n} above a
 * panel ({@code NR = 256}) and above a packed block ({@code NC = 1024}), {@code m} above {@code MC = 128}, and a
 * tall narrow C ({@code n < 128 < m}), which is computed transposed.
 */
class JavaGemmTest {

    /** Marks the floats around and between the rows of C that sgemm must leave alone. */
    private static final float UNTOUCHED = 12345.5f;

    @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3} k={4}")
    @CsvSource({
            "false, false, 1, 1, 1", "false, true, 1, 1, 1", "true, false, 1, 1, 1", "true, true, 1, 1, 1",
            "false, false, 7, 7, 7", "false, true, 7, 7, 7", "true, false, 7, 7, 7", "true, true, 7, 7, 7",
            "false, false, 129, 129, 129", "false, true, 129, 129, 129",
            "true, false, 129, 129, 129", "true, true, 129, 129, 129",
            "false, false, 7, 1023, 129", "true, true, 129, 7, 1023",
            "false, true, 3, 2100, 5", "true, false, 1, 300, 257",
            "false, false, 300, 5, 20", "false, true, 129, 1, 33", "true, false, 200, 100, 3", "true, true, 2, 1, 9",
    })
    void matchesReferenceForEveryTransposeCombination(boolean transA, boolean transB, int m, int n, int k) {
        Problem problem = new Problem(transA, transB, m, n, k, 0, 0, 1.0f, 0.0f, 1);
        problem.run(new JavaGemm(1), MemorySegment::ofArray);
        problem.assertMatchesReference();
    }

    @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3}")
    @CsvSource({"false, false, 33, 70", "false, true, 33, 70", "true, false, 33, 70", "true, true, 33, 70",
            "false, false, 70, 33", "true, true, 70, 33"})
    void honoursLeadingDimensionsOffsetsAlphaAndBeta(boolean transA, boolean transB, int m, int n) {
        Problem problem = new Problem(transA, transB, m, n, 45, 5, 3, -0.75f, 1.5f, 2);
        try (Arena arena = Arena.ofShared()) {
            problem.run(new JavaGemm(2), toNative(arena));
        }
        problem.assertMatchesReference();
    }

    @Test
    void betaOneAccumulatesAcrossSeveralStepsOfK() {
        Problem problem = new Problem(false, false, 9, 300, 600, 2, 7, 1.0f, 1.0f, 3);
        problem.run(new JavaGemm(1), MemorySegment::ofArray);
        problem.assertMatchesReference();
    }

    @ParameterizedTest(name = "m={0} n={1} transB={2}")
    @CsvSource({"21, 40, false", "21, 40, true", "40, 21, false"})
    void betaZeroOverwritesNanWithoutReadingIt(int m, int n, boolean transB) {
        Problem problem = new Problem(false, transB, m, n, 300, 1, 0, 2.0f, 0.0f, 4);
        problem.fillC(Float.NaN);
        problem.run(new JavaGemm(1), MemorySegment::ofArray);
        problem.assertMatchesReference();
    }

    @ParameterizedTest(name = "m={0} n={1}")
    @CsvSource({"5, 6", "6, 5"})
    void alphaZeroOnlyScalesCAndIgnoresNanInputs(int m, int n) {
        Problem problem = new Problem(false, false, m, n, 7, 1, 2, 0.0f, -2.0f, 5);
        Arrays.fill(problem.a, Float.NaN);
        problem.run(new JavaGemm(1), MemorySegment::ofArray);
        problem.assertMatchesReference();
    }

    @Test
    void worksOnHeapSegmentsOverBytes() {
        // A byte[] segment only guarantees 1-byte alignment, so every float access must be an unaligned one.
        Problem problem = new Problem(true, false, 10, 20, 30, 1, 1, 1.0f, 0.5f, 6);
        problem.run(new JavaGemm(2), JavaGemmTest::toBytes);
        problem.assertMatchesReference();
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transB={3}")
    @CsvSource({"130, 131, 200, false", "131, 130, 200, true", "16, 144, 1000, true", "300, 9, 1000, false"})
    void oneAndTwoThreadsGiveTheSameBits(int m, int n, int k, boolean transB) {
        // Both splits (columns when n >= m, rows otherwise) must compute each element by the same operations.
        assertSplit(m, n, k);
        Problem single = new Problem(false, transB, m, n, k, 3, 1, 1.25f, 0.5f, 7);
        Problem split = new Problem(false, transB, m, n, k, 3, 1, 1.25f, 0.5f, 7);
        single.run(new JavaGemm(1), MemorySegment::ofArray);
        try (Arena arena = Arena.ofShared()) {
            split.run(new JavaGemm(2), toNative(arena));
        }
        assertArrayEquals(single.c, split.c);
        single.assertMatchesReference();
    }

    @Test
    void segmentsConfinedToTheCallerRunOnTheCallerAlone() {
        assertSplit(160, 160, 160);
        Problem problem = new Problem(false, false, 160, 160, 160, 0, 0, 1.0f, 0.0f, 8);
        try (Arena arena = Arena.ofConfined()) {
            problem.run(new JavaGemm(2), toNative(arena));
        }
        problem.assertMatchesReference();
    }

    @Test
    void workersAreNamedDaemonThreads() {
        JavaGemm gemm = new JavaGemm(2);
        assertSplit(160, 160, 160);
        new Problem(false, false, 160, 160, 160, 0, 0, 1.0f, 0.0f, 9).run(gemm, MemorySegment::ofArray);
        boolean found = false;
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().startsWith("residual-gemm-")) {
                found = true;
                assertTrue(thread.isDaemon(), thread.getName() + " must not keep the JVM alive");
            }
        }
        assertTrue(found, "a two-thread call of 160^3 should have started a worker");
    }

    /** Guards the tests above against a change of the threshold under which calls are not split at all. */
    private static void assertSplit(int m, int n, int k) {
        assertTrue((long) m * n * k >= JavaGemm.PARALLEL_WORK, "too small to be split across threads");
    }

    @Test
    void describesItselfAndChecksItsArguments() {
        JavaGemm gemm = new JavaGemm(3);
        assertEquals("java", gemm.name());
        assertEquals(3, gemm.threads());
        assertTrue(gemm.describe().contains("3 threads"), gemm.describe());
        assertEquals(Runtime.getRuntime().availableProcessors(), new JavaGemm().threads());
        assertThrows(IllegalArgumentException.class, () -> gemm.setThreads(0));
        MemorySegment small = MemorySegment.ofArray(new float[4]);
        assertThrows(IllegalArgumentException.class,
                () -> gemm.sgemm(false, false, 2, 2, 2, 1f, small, 1, small, 2, 0f, small, 2));
        assertThrows(IllegalArgumentException.class,
                () -> gemm.sgemm(false, false, 3, 3, 3, 1f, small, 3, small, 3, 0f, small, 3));
    }

    private static Function<float[], MemorySegment> toNative(Arena arena) {
        return values -> arena.allocate((long) values.length * Float.BYTES, Float.BYTES)
                .copyFrom(MemorySegment.ofArray(values));
    }

    private static MemorySegment toBytes(float[] values) {
        MemorySegment bytes = MemorySegment.ofArray(new byte[values.length * Float.BYTES]);
        return bytes.copyFrom(MemorySegment.ofArray(values));
    }

    /**
     * One problem stored in float arrays with padded leading dimensions and offsets, run through segments made from
     * those arrays, with C copied back for checking.
     */
    private static final class Problem {
        final boolean transA, transB;
        final int m, n, k, lda, ldb, ldc;
        final int aOffset, bOffset, cOffset;
        final float alpha, beta;
        final float[] a, b, cBefore;
        float[] c;

        Problem(boolean transA, boolean transB, int m, int n, int k, int pad, int offset, float alpha, float beta,
                long seed) {
            this.transA = transA;
            this.transB = transB;
            this.m = m;
            this.n = n;
            this.k = k;
            this.alpha = alpha;
            this.beta = beta;
            lda = (transA ? m : k) + pad;
            ldb = (transB ? k : n) + pad;
            ldc = n + pad;
            aOffset = offset;
            bOffset = 2 * offset;
            cOffset = 3 * offset;
            SplittableRandom random = new SplittableRandom(seed);
            a = random(random, aOffset + (transA ? k : m) * lda + 1);
            b = random(random, bOffset + (transB ? n : k) * ldb + 1);
            c = new float[cOffset + m * ldc + 1];
            Arrays.fill(c, UNTOUCHED);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    c[cOffset + i * ldc + j] = (float) random.nextDouble(-1, 1);
                }
            }
            cBefore = c.clone();
        }

        void fillC(float value) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(c, cOffset + i * ldc, cOffset + i * ldc + n, value);
                Arrays.fill(cBefore, cOffset + i * ldc, cOffset + i * ldc + n, value);
            }
        }

        void run(Gemm gemm, Function<float[], MemorySegment> segments) {
            MemorySegment cSegment = segments.apply(c);
            gemm.sgemm(transA, transB, m, n, k, alpha, segments.apply(a), aOffset, lda, segments.apply(b), bOffset,
                    ldb, beta, cSegment, cOffset, ldc);
            c = cSegment.toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
        }

        double opA(int i, int p) {
            return a[aOffset + (transA ? p * lda + i : i * lda + p)];
        }

        double opB(int p, int j) {
            return b[bOffset + (transB ? j * ldb + p : p * ldb + j)];
        }

        /**
         * Every element of C within 1e-5 of the sum of the magnitudes of what went into it (float accumulation error
         * grows with k and with the size of the terms), and every float outside C's m×n untouched.
         */
        void assertMatchesReference() {
            boolean[] inside = new boolean[c.length];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    int index = cOffset + i * ldc + j;
                    inside[index] = true;
                    double sum = 0, magnitude = 0;
                    for (int p = 0; p < k; p++) {
                        double term = opA(i, p) * opB(p, j);
                        sum += term;
                        magnitude += Math.abs(term);
                    }
                    // BLAS semantics: beta = 0 never reads C, alpha = 0 never reads A or B.
                    double old = beta == 0 ? 0 : beta * (double) cBefore[index];
                    double product = alpha == 0 ? 0 : alpha * sum;
                    double scale = alpha == 0 ? 0 : Math.abs(alpha) * magnitude;
                    double expected = product + old;
                    double tolerance = 1e-5 * (scale + Math.abs(old)) + 1e-30;
                    if (!(Math.abs(c[index] - expected) <= tolerance)) {
                        fail("C[" + i + "][" + j + "] = " + c[index] + ", expected " + expected + " ± " + tolerance);
                    }
                }
            }
            for (int index = 0; index < c.length; index++) {
                if (!inside[index] && c[index] != UNTOUCHED) {
                    fail("sgemm wrote " + c[index] + " at index " + index + ", outside C");
                }
            }
        }

        private static float[] random(SplittableRandom random, int count) {
            float[] values = new float[count];
            for (int i = 0; i < count; i++) {
                values[i] = (float) random.nextDouble(-1, 1);
            }
            return values;
        }
    }
}
