package dev.residual.runtime.gemm;

import dev.residual.runtime.parallel.PartPool;
import dev.residual.runtime.parallel.Parts;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.util.Arrays;

/**
 * The pure-Java sgemm: always available, no native code and no incubator modules, several times slower than OpenBLAS.
 *
 * <p>Design. Speed comes from HotSpot's auto-vectorizer (SuperWord), which turns a simple loop over {@code float[]}
 * into AVX FMA instructions, but only under conditions this class is built around:
 * <ul>
 *   <li>Compute happens on arrays. Memory segments are touched only while packing the operands and while moving
 *       rows of {@code C} in and out, in bulk wherever the stored rows are contiguous.</li>
 *   <li>In the inner loop every array is indexed by the same bare loop index {@code j}. The vectorizer of JDK 25
 *       cannot prove that {@code x[j]} and {@code y[off + j]} do not overlap when {@code x} and {@code y} may be the
 *       same array, and then does not vectorize at all (measured: 3 GFLOP/s instead of 28). So the packed
 *       {@code op(B)} is an array of separate row arrays, one per {@code k} index, and the rows of {@code C} being
 *       updated are separate arrays too, all starting at column 0 of the current panel.</li>
 *   <li>The micro-kernel updates two rows of {@code C} with four rows of {@code B} per pass: 6 vector loads,
 *       2 stores and 8 FMAs per 8 columns. Of the shapes measured (1×4, 1×8, 2×2, 2×4, 3×3, 4×2, 4×3, 4×4 rows
 *       of C × rows of B), those with 6 to 12 FMAs per pass were fastest and within 10% of each other; 2×4 keeps
 *       only eight broadcast scalars live, which leaves the AVX2 register file room for unrolling.</li>
 * </ul>
 * Blocking follows the usual scheme: for each block of {@value #NC} columns and {@value #KC} steps of {@code k},
 * {@code op(B)} is packed once into panels of {@value #NR} columns ({@value #KC}·{@value #NR} floats, 256 KiB, sized
 * for L2); for each block of {@value #MC} rows, {@code alpha·op(A)} is packed so that a row pair's values for one
 * {@code k} step are adjacent; then each panel is swept by all row pairs while it is hot in cache. Transposes are
 * resolved while packing, so one kernel serves all four combinations. A narrow, tall {@code C} is computed as
 * {@code Cᵀ = op(B)ᵀ·op(A)ᵀ}, so the kernel's rows run along the long side.
 *
 * <p>Threads. A call is split into parts, one per thread, each a band of columns of {@code C} (or rows, when
 * {@code C} is taller than wide) computed independently with its own packing buffers; the calling thread runs part 0
 * and daemon threads named {@code residual-gemm-N} run the others. They are started on first need, wait parked
 * between calls and are handed work by a per-worker ticket, so a call allocates nothing in steady state. Small
 * problems, and segments confined to the calling thread, run on the caller alone.
 */
public final class JavaGemm implements Gemm {

    /** Steps of {@code k} packed and multiplied at once. */
    static final int KC = 256;
    /** Rows of {@code op(A)} packed at once; even, since the kernel takes rows in pairs. */
    static final int MC = 128;
    /** Columns of {@code op(B)} packed at once; a multiple of {@link #NR}. */
    static final int NC = 1024;
    /** Columns of one packed panel, and the longest row of {@code C} the kernel updates in one sweep. */
    static final int NR = 256;
    /**
     * A C narrower than this, and taller than wide, is computed transposed: kernel rows as short as {@code n} waste
     * most of each pass on loop overhead (measured at m=512, k=1024: n=8 went from 4.5 to 10 GFLOP/s, n=64 from 16
     * to 20; at n=128 both ways are even).
     */
    static final int NARROW = 128;
    /**
     * Below this many multiply-adds a call runs on the caller only: waking a parked thread costs tens of microseconds
     * and halves the kernel's row length. Measured on two cores, two threads lost to one at 64³ and 96³.
     */
    static final long PARALLEL_WORK = 128L * 128 * 128;

    /** Unaligned, so heap segments over {@code byte[]} work too; on x86 it costs nothing. */
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Stops an instance's worker threads once the instance is unreachable. */
    private static final Cleaner CLEANER = Cleaner.create();

    private final Job job = new Job();
    private final Workspace callerWorkspace = new Workspace();
    private final PartPool pool = new PartPool("residual-gemm-");
    /** Part {@code p}'s packing buffers, the caller's at 0: worker {@code p} of the pool always runs part {@code p}. */
    private Workspace[] workspaces = {callerWorkspace};
    /** The current call's parts, as the pool runs them; made once so a call allocates nothing. */
    private final Parts parts = part -> job.runPart(part, workspaces[part]);
    private int threads;

    /** A backend using every available processor. */
    public JavaGemm() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** A backend using {@code threads} threads per call. */
    public JavaGemm(int threads) {
        setThreads(threads);
        CLEANER.register(this, pool::close);
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float alpha, MemorySegment a, long aOffset, int lda,
                      MemorySegment b, long bOffset, int ldb,
                      float beta, MemorySegment c, long cOffset, int ldc) {
        GemmArguments.check(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        job.set(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
        try {
            if (alpha == 0) {
                // BLAS semantics: the product is not computed, so NaNs in A or B do not reach C.
                if (beta != 1) {
                    callerWorkspace.scaleC(job);
                }
                return;
            }
            int parts = job.plan(partsFor(m, n, k));
            if (parts > 1 && !canRead(pool.prepare(parts), a, b, c)) {
                parts = job.plan(1);
            }
            if (parts == 1) {
                job.runPart(0, callerWorkspace);
            } else {
                pool.run(this.parts, parts);
            }
        } finally {
            job.clear(); // do not keep the caller's memory reachable between calls
        }
    }

    /** Whether a worker may read all three segments: a confined arena's may be touched by its owner thread only. */
    private static boolean canRead(Thread worker, MemorySegment a, MemorySegment b, MemorySegment c) {
        return a.isAccessibleBy(worker) && b.isAccessibleBy(worker) && c.isAccessibleBy(worker);
    }

    private int partsFor(int m, int n, int k) {
        return (long) m * n * k < PARALLEL_WORK ? 1 : threads;
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public void setThreads(int threads) {
        this.threads = GemmArguments.checkThreads(threads);
        pool.trim(threads - 1);
        if (workspaces.length < threads) {
            Workspace[] grown = Arrays.copyOf(workspaces, threads);
            for (int w = workspaces.length; w < threads; w++) {
                grown[w] = new Workspace();
            }
            workspaces = grown;
        }
    }

    @Override
    public String name() {
        return "java";
    }

    @Override
    public String describe() {
        return "pure Java, blocked auto-vectorized kernel (KC=" + KC + ", NR=" + NR + "), " + threads
                + (threads == 1 ? " thread" : " threads");
    }

    /**
     * One call's arguments and how it is split into parts. Reused across calls; the workers read it after their
     * ticket is handed out, which publishes the writes made here.
     */
    private static final class Job {
        boolean transA, transB;
        int m, n, k;
        float alpha, beta;
        MemorySegment a, b, c;
        long aOffset, bOffset, cOffset;
        int lda, ldb, ldc;
        /** Whether A, B, m and n describe the transposed problem; then C is read and written transposed. */
        boolean transposedC;
        int parts;
        boolean splitColumns;

        void set(boolean transA, boolean transB, int m, int n, int k,
                 float alpha, MemorySegment a, long aOffset, int lda,
                 MemorySegment b, long bOffset, int ldb,
                 float beta, MemorySegment c, long cOffset, int ldc) {
            this.k = k;
            this.alpha = alpha;
            this.beta = beta;
            this.c = c;
            this.cOffset = cOffset;
            this.ldc = ldc;
            transposedC = n < NARROW && m > n;
            if (transposedC) {
                // Computes Cᵀ = op(B)ᵀ·op(A)ᵀ instead, so that the kernel's rows run along m, the long side.
                // op(B)ᵀ is B read as stored with the opposite transpose flag, and likewise op(A)ᵀ.
                operands(!transB, !transA, n, m, b, bOffset, ldb, a, aOffset, lda);
            } else {
                operands(transA, transB, m, n, a, aOffset, lda, b, bOffset, ldb);
            }
        }

        private void operands(boolean transA, boolean transB, int m, int n,
                              MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb) {
            this.transA = transA;
            this.transB = transB;
            this.m = m;
            this.n = n;
            this.a = a;
            this.aOffset = aOffset;
            this.lda = lda;
            this.b = b;
            this.bOffset = bOffset;
            this.ldb = ldb;
        }

        /** Index in {@link #c} of element {@code (row, col)} of the C being computed, which may be the transpose. */
        long cIndex(int row, int col) {
            return transposedC ? cOffset + (long) col * ldc + row : cOffset + (long) row * ldc + col;
        }

        /** Distance in {@link #c} between elements {@code (row, col)} and {@code (row, col + 1)}. */
        long cStep() {
            return transposedC ? ldc : 1;
        }

        void clear() {
            a = b = c = null;
        }

        /**
         * Splits the work into at most {@code wanted} parts and returns how many. Every part packs the whole of the
         * operand along the dimension not split, so the split goes along the larger of {@code m} and {@code n}:
         * columns duplicate the packing of {@code A} ({@code m·k}), rows that of {@code B} ({@code k·n}).
         */
        int plan(int wanted) {
            splitColumns = n >= m;
            int granules = splitColumns ? ceilDiv(n, 8) : ceilDiv(m, 2);
            parts = Math.max(1, Math.min(wanted, granules));
            return parts;
        }

        /** Computes part {@code part} of {@link #parts}: a band of columns or rows of {@code C}. */
        void runPart(int part, Workspace workspace) {
            if (splitColumns) {
                workspace.multiply(this, 0, m, bound(n, 8, part), bound(n, 8, part + 1));
            } else {
                workspace.multiply(this, bound(m, 2, part), bound(m, 2, part + 1), 0, n);
            }
        }

        /** Start of part {@code part} when {@code size} is split evenly in whole granules. */
        private int bound(int size, int granule, int part) {
            long granules = ceilDiv(size, granule);
            return (int) Math.min(size, granules * part / parts * granule);
        }
    }

    /**
     * One thread's packing buffers and the blocked multiply that uses them. Buffers grow on first need and are then
     * reused, so a steady stream of calls allocates nothing.
     */
    private static final class Workspace {
        /** {@code alpha·op(A)} for one block: row pair {@code q}, step {@code p}, row {@code r} at {@code q·2·kc + 2p + r}. */
        private final float[] packedA = new float[MC * KC];
        /** {@code op(B)} for one block: panel, then one array per step of {@code k}, {@link #NR} columns each. */
        private final float[][][] panels = new float[NC / NR][KC][];
        /** The two rows of {@code C} the kernel updates, and a stand-in second row when the block has an odd row. */
        private final float[] row0 = new float[NR], row1 = new float[NR], spareRow = new float[NR];
        /** One stored row of A, or of C on its way in or out. */
        private final float[] line = new float[Math.max(Math.max(KC, MC), NR)];

        /** Computes rows {@code [rowStart, rowEnd)} × columns {@code [colStart, colEnd)} of C. */
        void multiply(Job job, int rowStart, int rowEnd, int colStart, int colEnd) {
            for (int jc = colStart; jc < colEnd; jc += NC) {
                int nc = Math.min(NC, colEnd - jc);
                for (int pc = 0; pc < job.k; pc += KC) {
                    int kc = Math.min(KC, job.k - pc);
                    packB(job, pc, kc, jc, nc);
                    for (int ic = rowStart; ic < rowEnd; ic += MC) {
                        int mc = Math.min(MC, rowEnd - ic);
                        packA(job, ic, mc, pc, kc);
                        multiplyBlock(job, ic, mc, jc, nc, kc, pc == 0);
                    }
                }
            }
        }

        /** Adds the packed block's product into C, one panel at a time so each is swept by every row pair while hot. */
        private void multiplyBlock(Job job, int ic, int mc, int jc, int nc, int kc, boolean firstStep) {
            for (int panel = 0, j = 0; j < nc; panel++, j += NR) {
                int width = Math.min(NR, nc - j);
                for (int i = 0; i < mc; i += 2) {
                    boolean pair = i + 1 < mc;
                    float[] second = pair ? row1 : spareRow;
                    loadC(job, ic + i, jc + j, width, firstStep, row0);
                    if (pair) {
                        loadC(job, ic + i + 1, jc + j, width, firstStep, row1);
                    }
                    sweep(packedA, i * kc, panels[panel], kc, row0, second, width);
                    storeC(job, ic + i, jc + j, width, row0);
                    if (pair) {
                        storeC(job, ic + i + 1, jc + j, width, row1);
                    }
                }
            }
        }

        /** Packs {@code alpha·op(A)[row0 .. row0+rows)[p0 .. p0+kc)}, padding an odd last row pair with zeros. */
        private void packA(Job job, int row0, int rows, int p0, int kc) {
            float alpha = job.alpha;
            if (job.transA) {
                // Stored k×m: each stored row holds one step of k for all rows of the block.
                for (int p = 0; p < kc; p++) {
                    readFloats(job.a, job.aOffset + (long) (p0 + p) * job.lda + row0, line, rows);
                    for (int i = 0; i < rows; i++) {
                        packedA[(i >> 1) * 2 * kc + 2 * p + (i & 1)] = alpha * line[i];
                    }
                }
            } else {
                for (int i = 0; i < rows; i++) {
                    readFloats(job.a, job.aOffset + (long) (row0 + i) * job.lda + p0, line, kc);
                    int base = (i >> 1) * 2 * kc + (i & 1);
                    for (int p = 0; p < kc; p++) {
                        packedA[base + 2 * p] = alpha * line[p];
                    }
                }
            }
            if ((rows & 1) != 0) {
                int base = (rows >> 1) * 2 * kc + 1;
                for (int p = 0; p < kc; p++) {
                    packedA[base + 2 * p] = 0;
                }
            }
        }

        /** Packs {@code op(B)[p0 .. p0+kc)[col0 .. col0+cols)} into panels. */
        private void packB(Job job, int p0, int kc, int col0, int cols) {
            allocatePanels(kc, cols);
            if (job.transB) {
                packTransposedB(job, p0, kc, col0, cols);
                return;
            }
            for (int p = 0; p < kc; p++) {
                long rowStart = job.bOffset + (long) (p0 + p) * job.ldb + col0;
                for (int panel = 0, j = 0; j < cols; panel++, j += NR) {
                    readFloats(job.b, rowStart + j, panels[panel][p], Math.min(NR, cols - j));
                }
            }
        }

        /**
         * B is stored n×k, so a column of {@code op(B)} is a stored row. Eight stored rows are read side by side and
         * each packed row receives eight adjacent floats per visit, which measured faster than copying the stored rows
         * out in bulk first (0.8 against 1.2 ns a float): the panel rows are visited once per eight columns either way.
         */
        private void packTransposedB(Job job, int p0, int kc, int col0, int cols) {
            long stride = (long) job.ldb * Float.BYTES;
            for (int j = 0; j < cols; j += 8) {
                float[][] panel = panels[j / NR];
                int x = j % NR; // NR is a multiple of 8, so a group of eight never straddles two panels
                long first = (job.bOffset + (long) (col0 + j) * job.ldb + p0) * Float.BYTES;
                if (cols - j >= 8) {
                    transposeEight(job.b, first, stride, panel, x, kc);
                } else {
                    for (int q = 0; q < cols - j; q++) {
                        transposeOne(job.b, first + q * stride, panel, x + q, kc);
                    }
                }
            }
        }

        /** Sets {@code panel[p][x + q]} to the float at byte {@code first + q·stride + 4p}, for q = 0..7. */
        private static void transposeEight(MemorySegment b, long first, long stride, float[][] panel, int x, int kc) {
            for (int p = 0; p < kc; p++) {
                float[] row = panel[p];
                long at = first + (long) p * Float.BYTES;
                row[x] = b.get(FLOAT, at);
                row[x + 1] = b.get(FLOAT, at + stride);
                row[x + 2] = b.get(FLOAT, at + 2 * stride);
                row[x + 3] = b.get(FLOAT, at + 3 * stride);
                row[x + 4] = b.get(FLOAT, at + 4 * stride);
                row[x + 5] = b.get(FLOAT, at + 5 * stride);
                row[x + 6] = b.get(FLOAT, at + 6 * stride);
                row[x + 7] = b.get(FLOAT, at + 7 * stride);
            }
        }

        private static void transposeOne(MemorySegment b, long first, float[][] panel, int x, int kc) {
            for (int p = 0; p < kc; p++) {
                panel[p][x] = b.get(FLOAT, first + (long) p * Float.BYTES);
            }
        }

        /** Allocates the packed rows a block needs; each is allocated once and kept for later calls. */
        private void allocatePanels(int kc, int cols) {
            for (int panel = 0; panel * NR < cols; panel++) {
                float[][] rows = panels[panel];
                for (int p = 0; p < kc; p++) {
                    if (rows[p] == null) {
                        rows[p] = new float[NR];
                    }
                }
            }
        }

        /** Reads {@code width} floats of C's row {@code row}; the first step of k applies beta, reading nothing for 0. */
        private static void loadC(Job job, int row, int col, int width, boolean firstStep, float[] into) {
            if (firstStep && job.beta == 0) {
                Arrays.fill(into, 0, width, 0f);
                return;
            }
            long at = job.cIndex(row, col);
            if (job.transposedC) {
                for (int j = 0; j < width; j++) {
                    into[j] = job.c.getAtIndex(FLOAT, at + j * job.cStep());
                }
            } else {
                readFloats(job.c, at, into, width);
            }
            if (firstStep && job.beta != 1) {
                scale(into, width, job.beta);
            }
        }

        private static void storeC(Job job, int row, int col, int width, float[] from) {
            long at = job.cIndex(row, col);
            if (job.transposedC) {
                for (int j = 0; j < width; j++) {
                    job.c.setAtIndex(FLOAT, at + j * job.cStep(), from[j]);
                }
            } else {
                MemorySegment.copy(from, 0, job.c, FLOAT, at * Float.BYTES, width);
            }
        }

        /** {@code C = beta·C}, for a call with {@code alpha = 0}. */
        void scaleC(Job job) {
            for (int i = 0; i < job.m; i++) {
                for (int j = 0; j < job.n; j += NR) {
                    int width = Math.min(NR, job.n - j);
                    loadC(job, i, j, width, true, line);
                    storeC(job, i, j, width, line);
                }
            }
        }
    }

    /** Multiplies one packed row pair into {@code c0} and {@code c1}: four steps of k per pass, then the rest. */
    private static void sweep(float[] a, int at, float[][] b, int kc, float[] c0, float[] c1, int width) {
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
            kernel2x4(a, at + 2 * p, b[p], b[p + 1], b[p + 2], b[p + 3], c0, c1, width);
        }
        for (; p < kc; p++) {
            kernel2x1(a, at + 2 * p, b[p], c0, c1, width);
        }
    }

    /**
     * {@code c_r[j] += Σ_u a[at + 2u + r]·b_u[j]} for rows r = 0, 1 and steps u = 0..3. Every array is indexed by
     * the bare {@code j}; see the class comment for why that matters.
     */
    private static void kernel2x4(float[] a, int at, float[] b0, float[] b1, float[] b2, float[] b3,
                                  float[] c0, float[] c1, int width) {
        float a00 = a[at], a10 = a[at + 1], a01 = a[at + 2], a11 = a[at + 3];
        float a02 = a[at + 4], a12 = a[at + 5], a03 = a[at + 6], a13 = a[at + 7];
        for (int j = 0; j < width; j++) {
            float x0 = b0[j], x1 = b1[j], x2 = b2[j], x3 = b3[j];
            c0[j] = Math.fma(a03, x3, Math.fma(a02, x2, Math.fma(a01, x1, Math.fma(a00, x0, c0[j]))));
            c1[j] = Math.fma(a13, x3, Math.fma(a12, x2, Math.fma(a11, x1, Math.fma(a10, x0, c1[j]))));
        }
    }

    /** The last {@code kc mod 4} steps of k. */
    private static void kernel2x1(float[] a, int at, float[] b0, float[] c0, float[] c1, int width) {
        float a0 = a[at], a1 = a[at + 1];
        for (int j = 0; j < width; j++) {
            float x = b0[j];
            c0[j] = Math.fma(a0, x, c0[j]);
            c1[j] = Math.fma(a1, x, c1[j]);
        }
    }

    private static void scale(float[] values, int count, float factor) {
        for (int j = 0; j < count; j++) {
            values[j] *= factor;
        }
    }

    /** Copies {@code count} floats starting at float index {@code index} of {@code from} into {@code into[0..)}. */
    private static void readFloats(MemorySegment from, long index, float[] into, int count) {
        MemorySegment.copy(from, FLOAT, index * Float.BYTES, into, 0, count);
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}
