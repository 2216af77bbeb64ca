package dev.residual.runtime.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** OpenBLAS through Panama: results against a double reference, and argument checks before any native call. */
class OpenBlasGemmTest {

    private static OpenBlasGemm gemm;

    @BeforeAll
    static void load() {
        gemm = OpenBlasGemm.load();
        gemm.setThreads(2);
    }

    static Stream<Arguments> shapes() {
        Stream.Builder<Arguments> cases = Stream.builder();
        int[][] sizes = {{1, 1, 1}, {7, 7, 7}, {1, 129, 7}, {129, 1, 129}, {7, 1023, 1}, {129, 7, 1023},
                {16, 196, 144}, {1023, 3, 5}};
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (int[] size : sizes) {
                    cases.add(Arguments.of(transA, transB, size[0], size[1], size[2]));
                }
            }
        }
        return cases.build();
    }

    @ParameterizedTest(name = "trans {0}/{1}, {2}×{3}×{4}")
    @MethodSource("shapes")
    void matchesDoubleReference(boolean transA, boolean transB, int m, int n, int k) {
        try (Arena arena = Arena.ofConfined()) {
            GemmCase problem = new GemmCase(arena, m * 31L + n * 7L + k, transA, transB, m, n, k, 3, 5, 1.5f, 0.5f);
            problem.run(gemm);
            problem.assertMatchesReference();
        }
    }

    @Test
    void betaZeroOverwritesNanAndAlphaScales() {
        try (Arena arena = Arena.ofConfined()) {
            GemmCase problem = new GemmCase(arena, 9, false, true, 33, 17, 65, 0, 0, -2f, 0f);
            problem.c.fill((byte) 0xff); // every float is a NaN
            problem.cBefore.copyFrom(problem.c);
            problem.run(gemm);
            problem.assertMatchesReference();
        }
    }

    @Test
    void oneAndTwoThreadsAgree() {
        try (Arena arena = Arena.ofConfined()) {
            GemmCase one = new GemmCase(arena, 3, false, false, 200, 300, 400, 0, 0, 1f, 0f);
            gemm.setThreads(1);
            one.run(gemm);
            assertEquals(1, gemm.threads());
            MemorySegment single = arena.allocate(one.c.byteSize()).copyFrom(one.c);
            gemm.setThreads(2);
            one.run(gemm);
            assertEquals(2, gemm.threads());
            one.assertMatchesReference();
            // OpenBLAS may split k differently with more threads, so the bits can differ; both must be right.
            GemmCase again = new GemmCase(arena, 3, false, false, 200, 300, 400, 0, 0, 1f, 0f);
            again.c.copyFrom(single);
            again.cBefore.copyFrom(one.cBefore);
            again.assertMatchesReference();
        }
    }

    @Test
    void smallProductsRunOnOneThreadAndTheThreadCountComesBack() {
        assertTrue(gemm.runsSerially(16, 784, 144), "a batch-1 convolution's product");
        assertFalse(gemm.runsSerially(16, 50176, 144), "a batch-64 convolution's product");
        try (Arena arena = Arena.ofConfined()) {
            GemmCase small = new GemmCase(arena, 5, false, true, 16, 196, 144, 0, 0, 1f, 0f);
            small.run(gemm);
            small.assertMatchesReference();
            assertEquals(2, gemm.threads(), "the product must give OpenBLAS its thread count back");
            gemm.setThreads(1);
            assertFalse(gemm.runsSerially(16, 784, 144), "one thread has nothing to switch");
        } finally {
            gemm.setThreads(2);
        }
    }

    /**
     * A small product on two threads is cut into two bands of columns, each a one-thread OpenBLAS call: for every
     * transposition, the bands together are the product, and OpenBLAS gets its thread count back.
     */
    @Test
    void smallProductsRunAsColumnBands() {
        assertEquals(2, OpenBlasGemm.columnParts(784, 2));
        assertEquals(1, OpenBlasGemm.columnParts(31, 2), "under 16 columns a thread");
        assertEquals(1, OpenBlasGemm.columnParts(784, 1));
        assertEquals(2, gemm.columnBands(16, 784, 144), "a batch-1 convolution's product");
        assertEquals(1, gemm.columnBands(16, 50176, 144), "a batch-64 convolution's product: OpenBLAS threads it");
        try (Arena arena = Arena.ofConfined()) {
            for (boolean transA : new boolean[] {false, true}) {
                for (boolean transB : new boolean[] {false, true}) {
                    GemmCase small = new GemmCase(arena, 11, transA, transB, 16, 197, 144, 3, 5, 1.5f, 0.5f);
                    small.run(gemm);
                    small.assertMatchesReference();
                    assertEquals(2, gemm.threads());
                }
            }
        }
    }

    /** Two threads multiplying small products at once: one splits its product, the other runs whole; both are right. */
    @Test
    void twoCallersAtOnceBothGetTheirProducts() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            GemmCase[] cases = {new GemmCase(arena, 21, false, false, 16, 784, 144, 0, 0, 1f, 0f),
                new GemmCase(arena, 22, false, true, 32, 196, 288, 0, 0, 1f, 0f)};
            Thread[] callers = new Thread[2];
            Throwable[] failures = new Throwable[2];
            for (int t = 0; t < 2; t++) {
                int which = t;
                callers[t] = new Thread(() -> {
                    try {
                        for (int round = 0; round < 200; round++) {
                            cases[which].run(gemm);
                        }
                    } catch (Throwable e) {
                        failures[which] = e;
                    }
                });
                callers[t].start();
            }
            for (Thread caller : callers) {
                caller.join();
            }
            for (int t = 0; t < 2; t++) {
                assertEquals(null, failures[t], "caller " + t);
                cases[t].assertMatchesReference();
            }
            assertEquals(2, gemm.threads());
        }
    }

    @Test
    void serialBelowZeroLetsEveryProductUseAllThreads() {
        OpenBlasGemm everyProductThreaded = new OpenBlasGemm(OpenBlasLocator.fromEnvironment().locate(), 0);
        // The thread count is OpenBLAS's, process-wide: this instance sets the same 2 as the shared one.
        everyProductThreaded.setThreads(2);
        assertFalse(everyProductThreaded.runsSerially(1, 1, 1));
        assertTrue(everyProductThreaded.describe().contains("2 threads,"), everyProductThreaded.describe());
        assertTrue(gemm.describe().contains("products under " + OpenBlasGemm.DEFAULT_SERIAL_BELOW
                + " multiply-adds in one-thread bands"), gemm.describe());
        OpenBlasLocator.Located library = OpenBlasLocator.fromEnvironment().locate();
        assertThrows(IllegalArgumentException.class, () -> new OpenBlasGemm(library, -1));
    }

    @Test
    void readsTheSerialBelowProperty() {
        assertEquals(OpenBlasGemm.DEFAULT_SERIAL_BELOW, OpenBlasGemm.parseSerialBelow(null));
        assertEquals(OpenBlasGemm.DEFAULT_SERIAL_BELOW, OpenBlasGemm.parseSerialBelow(" "));
        assertEquals(0, OpenBlasGemm.parseSerialBelow("0"));
        assertEquals(8_000_000, OpenBlasGemm.parseSerialBelow(" 8_000_000 "));
        for (String bad : new String[] {"-1", "lots", "1e6"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OpenBlasGemm.parseSerialBelow(bad));
            assertTrue(e.getMessage().contains("-D" + OpenBlasGemm.SERIAL_BELOW_PROPERTY)
                    && e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void describesWhereItCameFrom() {
        assertTrue(gemm.config().startsWith("OpenBLAS"), gemm.config());
        assertTrue(!gemm.coreName().isBlank());
        assertTrue(gemm.describe().contains(gemm.path().toString()));
    }

    // --- bad arguments: an exception naming the argument, before any native call ---

    private static IllegalArgumentException badCall(int m, int n, int k, int lda, int ldb, int ldc,
                                                    long aFloats, long bFloats, long cFloats, long aOffset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(Math.max(aFloats, 1) * 4);
            MemorySegment b = arena.allocate(Math.max(bFloats, 1) * 4);
            MemorySegment c = arena.allocate(Math.max(cFloats, 1) * 4);
            return assertThrows(IllegalArgumentException.class,
                    () -> gemm.sgemm(false, false, m, n, k, 1f, a, aOffset, lda, b, 0, ldb, 0f, c, 0, ldc));
        }
    }

    @Test
    void rejectsNonPositiveDimensions() {
        assertTrue(badCall(0, 4, 4, 4, 4, 4, 16, 16, 16, 0).getMessage().startsWith("m must be at least 1"));
        assertTrue(badCall(4, -1, 4, 4, 4, 4, 16, 16, 16, 0).getMessage().startsWith("n must be at least 1"));
        assertTrue(badCall(4, 4, 0, 4, 4, 4, 16, 16, 16, 0).getMessage().startsWith("k must be at least 1"));
    }

    @Test
    void rejectsShortLeadingDimensions() {
        assertTrue(badCall(4, 4, 4, 3, 4, 4, 16, 16, 16, 0).getMessage().startsWith("lda = 3"));
        assertTrue(badCall(4, 4, 4, 4, 3, 4, 16, 16, 16, 0).getMessage().startsWith("ldb = 3"));
        assertTrue(badCall(4, 4, 4, 4, 4, 2, 16, 16, 16, 0).getMessage().startsWith("ldc = 2"));
    }

    @Test
    void rejectsSegmentsTooSmall() {
        assertTrue(badCall(4, 4, 4, 4, 4, 4, 15, 16, 16, 0).getMessage().startsWith("a is too small"));
        assertTrue(badCall(4, 4, 4, 4, 4, 4, 16, 12, 16, 0).getMessage().startsWith("b is too small"));
        assertTrue(badCall(4, 4, 4, 4, 4, 8, 16, 16, 27, 0).getMessage().startsWith("c is too small"));
        assertTrue(badCall(4, 4, 4, 4, 4, 4, 16, 16, 16, 1).getMessage().startsWith("a is too small"));
        assertTrue(badCall(4, 4, 4, 4, 4, 4, 16, 16, 16, -1).getMessage().startsWith("aOffset must not be negative"));
    }

    @Test
    void rejectsHeapClosedAndReadOnlySegments() {
        MemorySegment heap = MemorySegment.ofArray(new float[16]);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ok = arena.allocate(64);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> gemm.sgemm(false, false, 4, 4, 4, 1f, heap, 4, ok, 4, 0f, ok, 4));
            assertTrue(e.getMessage().startsWith("a is a heap segment"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> gemm.sgemm(false, false, 4, 4, 4, 1f, ok, 4, ok, 4, 0f, ok.asReadOnly(), 4));
            assertTrue(e.getMessage().startsWith("c is read-only"), e.getMessage());
        }
        Arena closed = Arena.ofConfined();
        MemorySegment gone = closed.allocate(64);
        closed.close();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ok = arena.allocate(64);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> gemm.sgemm(false, false, 4, 4, 4, 1f, ok, 4, gone, 4, 0f, ok, 4));
            assertTrue(e.getMessage().startsWith("b belongs to an arena that is already closed"), e.getMessage());
        }
    }

    @Test
    void rejectsBadThreadCounts() {
        assertThrows(IllegalArgumentException.class, () -> gemm.setThreads(0));
        assertThrows(IllegalArgumentException.class, () -> gemm.setThreads(100_000));
    }

    @Test
    void badCallLeavesOutputUntouched() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(16 * 4), b = arena.allocate(16 * 4), c = arena.allocate(16 * 4);
            c.setAtIndex(ValueLayout.JAVA_FLOAT, 0, 42f);
            assertThrows(IllegalArgumentException.class,
                    () -> gemm.sgemm(false, false, 4, 4, 5, 1f, a, 5, b, 4, 0f, c, 4));
            assertEquals(42f, c.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
        }
    }
}
