package dev.residual.runtime.gemm;

import dev.residual.runtime.parallel.ClaimingPool;
import dev.residual.runtime.parallel.Parts;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * OpenBLAS's {@code cblas_sgemm} through a Panama downcall.
 *
 * <p>Pointers are passed as {@code long} addresses ({@code segment.address() + offset}): on x86-64 System V a pointer
 * and a 64-bit integer travel in the same registers, and passing the address avoids creating a slice object per call,
 * so a call allocates nothing. The segments are kept reachable across the call with
 * {@link Reference#reachabilityFence}. No {@code Linker.Option.critical}: a large GEMM would hold up the garbage
 * collector for every thread.
 *
 * <p><b>Small products are split by us, not by OpenBLAS.</b> A product of fewer multiply-adds ({@code m·n·k}) than
 * {@code -D}{@value #SERIAL_BELOW_PROPERTY} says (default {@value #DEFAULT_SERIAL_BELOW}: every convolution of a
 * batch-1 or batch-2 ResNet-20) runs with OpenBLAS set to one thread. OpenBLAS's caller waits for its workers to
 * finish their share, and when other processes keep the cores busy a worker may wait a whole scheduler time slice
 * for a core: beside two busy processes on the 2-core machine, a batch-1 ResNet-20 inference took 240 ms with every
 * product on OpenBLAS's two threads. Instead such a product is cut into bands of columns ({@link #columnParts}), each
 * a one-thread OpenBLAS call, shared by the caller and a {@link ClaimingPool} helper: a band the helper has not claimed
 * when the caller is free runs on the caller, so a helper waiting for a core cannot hold the product up. A
 * convolution does better still by unrolling each band's input on the band's own thread ({@link #columnBands},
 * {@link #runBands}). Measured on a batch-1 ResNet-20 pass (p50 / p99): 2.9 / 4.6 ms quiet and 5.4 / 9.4 ms beside
 * two busy processes, against 3.2 / 5.7 and 240 / 252 ms with every product threaded ({@code bench/README.md},
 * "Threads"). Set the property to 0 to let OpenBLAS thread every product. The switch is
 * {@code openblas_set_num_threads}, process-wide and about 0.3 µs: if two threads call at once, one may run its
 * product with the other's thread count, which changes its speed, never its result.
 */
public final class OpenBlasGemm implements Gemm {

    private static final int CBLAS_ROW_MAJOR = 101;
    private static final int CBLAS_NO_TRANS = 111;
    private static final int CBLAS_TRANS = 112;
    /** Stops an unreachable instance's band helper. */
    private static final Cleaner CLEANER = Cleaner.create();

    private final MethodHandle sgemm;
    private final MethodHandle sgemm64;
    private final MethodHandle setNumThreads;
    private final MethodHandle getNumThreads;
    private final Path path;
    private final String source;
    private final String config;
    private final String coreName;
    private final boolean int64;
    /** Products with {@code m·n·k} below this run as bands, each on one OpenBLAS thread; 0 never. */
    private final long serialBelow;
    /** The thread count {@link #setThreads} set: what a product above {@link #serialBelow} uses. */
    private volatile int threads;
    /** The threads that share a small product's bands with the caller, each band on one OpenBLAS thread. */
    private final ClaimingPool bands = new ClaimingPool("residual-gemm-bands-");
    private final Parts runBand = this::runBand;
    /** Set while a product is split over {@link #bands}: a second caller at the same time runs its product whole. */
    private final AtomicBoolean splitting = new AtomicBoolean();
    private int helpers;
    /** Set while bands run: their products run whole, OpenBLAS already being on one thread. */
    private volatile boolean banding;
    // The product being split, written by the caller before the pool hands out its bands.
    private int bandTa;
    private int bandTb;
    private int bandM;
    private int bandN;
    private int bandK;
    private float bandAlpha;
    private long bandA;
    private int bandLda;
    private long bandB;
    private int bandLdb;
    private float bandBeta;
    private long bandC;
    private int bandLdc;
    private int bandParts;

    /**
     * The property that turns off {@link #holdBands} ({@code false}): then a compiled model's pass leaves the band
     * helper to park between calls as an interpreted one does (for a service whose other threads need the core more
     * than its batch-1 latency needs the helper).
     */
    public static final String HOLD_BANDS_PROPERTY = "residual.gemm.holdBands";
    private static final boolean HOLD_BANDS = Boolean.parseBoolean(System.getProperty(HOLD_BANDS_PROPERTY, "true"));

    /** The property that sets {@link #serialBelow}, in multiply-adds ({@code m·n·k}). */
    public static final String SERIAL_BELOW_PROPERTY = "residual.gemm.serialBelow";
    /** Its default: every product of a batch-1 or batch-2 ResNet-20 convolution (at most 16·1568·144 = 3.6 M). */
    public static final long DEFAULT_SERIAL_BELOW = 4_000_000;

    /** Loads OpenBLAS as {@link OpenBlasLocator#fromEnvironment()} finds it. */
    public static OpenBlasGemm load() {
        return new OpenBlasGemm(OpenBlasLocator.fromEnvironment().locate());
    }

    /**
     * Binds the functions of an opened library; a missing symbol is a {@link NativeLibraryException}. Small products
     * run serially below {@value #SERIAL_BELOW_PROPERTY}.
     */
    public OpenBlasGemm(OpenBlasLocator.Located library) {
        this(library, parseSerialBelow(System.getProperty(SERIAL_BELOW_PROPERTY)));
    }

    /** As {@link #OpenBlasGemm(OpenBlasLocator.Located)}, with products under {@code serialBelow} as bands. */
    public OpenBlasGemm(OpenBlasLocator.Located library, long serialBelow) {
        if (serialBelow < 0) {
            throw new IllegalArgumentException("serialBelow must be >= 0 multiply-adds, got " + serialBelow);
        }
        this.serialBelow = serialBelow;
        Linker linker = Linker.nativeLinker();
        SymbolLookup symbols = library.symbols();
        this.path = library.path();
        this.source = library.source();
        MethodHandle getConfig = bind(linker, symbols, "openblas_get_config",
                FunctionDescriptor.of(ValueLayout.ADDRESS));
        MethodHandle getCore = bind(linker, symbols, "openblas_get_corename",
                FunctionDescriptor.of(ValueLayout.ADDRESS));
        this.config = cString(getConfig);
        this.coreName = cString(getCore);
        // An INTERFACE64 build takes 64-bit integers for every size and leading dimension.
        this.int64 = config.contains("USE64BITINT");
        ValueLayout integer = int64 ? ValueLayout.JAVA_LONG : ValueLayout.JAVA_INT;
        this.setNumThreads = bind(linker, symbols, "openblas_set_num_threads", FunctionDescriptor.ofVoid(integer));
        this.getNumThreads = bind(linker, symbols, "openblas_get_num_threads",
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        FunctionDescriptor descriptor = FunctionDescriptor.ofVoid(
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,   // order, transA, transB
                integer, integer, integer,                                          // m, n, k
                ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_LONG, integer,             // alpha, A, lda
                ValueLayout.JAVA_LONG, integer,                                     // B, ldb
                ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_LONG, integer);            // beta, C, ldc
        MethodHandle handle = bind(linker, symbols, "cblas_sgemm", descriptor);
        this.sgemm = int64 ? null : handle;
        this.sgemm64 = int64 ? handle : null;
        this.threads = threads();
        CLEANER.register(this, bands::close);
    }

    /**
     * Reads a {@value #SERIAL_BELOW_PROPERTY} value: {@code null} or blank means {@value #DEFAULT_SERIAL_BELOW};
     * otherwise a whole number of multiply-adds, 0 or more.
     */
    public static long parseSerialBelow(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_SERIAL_BELOW;
        }
        try {
            long parsed = Long.parseLong(value.strip().replace("_", ""));
            if (parsed >= 0) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below with the property's name
        }
        throw new IllegalArgumentException("-D" + SERIAL_BELOW_PROPERTY + " must be a whole number of multiply-adds"
                + " (m·n·k), 0 or more, got '" + value + "'; 0 lets every product use all threads, the default is "
                + DEFAULT_SERIAL_BELOW);
    }

    /** Whether an {@code m×n×k} product runs on the calling thread alone (see the class comment). */
    public boolean runsSerially(int m, int n, int k) {
        return threads > 1 && (long) m * n * k < serialBelow;
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float alpha, MemorySegment a, long aOffset, int lda,
                      MemorySegment b, long bOffset, int ldb,
                      float beta, MemorySegment c, long cOffset, int ldc) {
        GemmArguments.check(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        GemmArguments.requireNative(a, b, c);
        long aAddress = a.address() + aOffset * Float.BYTES;
        long bAddress = b.address() + bOffset * Float.BYTES;
        long cAddress = c.address() + cOffset * Float.BYTES;
        int ta = transA ? CBLAS_TRANS : CBLAS_NO_TRANS;
        int tb = transB ? CBLAS_TRANS : CBLAS_NO_TRANS;
        try {
            int parts = columnParts(n, threads);
            if (banding || !runsSerially(m, n, k)) {
                // In a band OpenBLAS is already on one thread; a large product uses all of them.
                call(ta, tb, m, n, k, alpha, aAddress, lda, bAddress, ldb, beta, cAddress, ldc);
            } else if (parts > 1 && splitting.compareAndSet(false, true)) {
                try {
                    bandTa = ta;
                    bandTb = tb;
                    bandM = m;
                    bandN = n;
                    bandK = k;
                    bandAlpha = alpha;
                    bandA = aAddress;
                    bandLda = lda;
                    bandB = bAddress;
                    bandLdb = ldb;
                    bandBeta = beta;
                    bandC = cAddress;
                    bandLdc = ldc;
                    bandParts = parts;
                    runHeldBands(runBand, parts);
                } finally {
                    splitting.set(false);
                }
            } else {
                int restore = threads;
                setNativeThreads(1);
                try {
                    call(ta, tb, m, n, k, alpha, aAddress, lda, bAddress, ldb, beta, cAddress, ldc);
                } finally {
                    setNativeThreads(restore);
                }
            }
        } finally {
            Reference.reachabilityFence(a);
            Reference.reachabilityFence(b);
            Reference.reachabilityFence(c);
        }
    }

    /**
     * How many bands of columns a small product on {@code threads} threads is cut into: one per thread, and none
     * under 16 columns a thread. (More bands than threads lost: four bands of a 16×784×144 product on two threads took
     * 175 µs against 124 µs for two.)
     */
    static int columnParts(int n, int threads) {
        return threads < 2 || n < 16 * threads ? 1 : threads;
    }

    @Override
    public int columnBands(int m, int n, int k) {
        return runsSerially(m, n, k) ? columnParts(n, threads) : 1;
    }

    @Override
    public void runBands(Parts bands, int count) {
        if (count > 1 && splitting.compareAndSet(false, true)) {
            try {
                runHeldBands(bands, count);
            } finally {
                splitting.set(false);
            }
        } else {
            Gemm.super.runBands(bands, count);
        }
    }

    @Override
    public void holdBands() {
        if (HOLD_BANDS) {
            bands.hold();
        }
    }

    @Override
    public void releaseBands() {
        if (HOLD_BANDS) {
            bands.release();
        }
    }

    /** Runs bands over {@link #bands} with OpenBLAS on one thread, holding {@link #splitting}. */
    private void runHeldBands(Parts job, int count) {
        int restore = threads;
        if (helpers < restore - 1) {
            bands.prepare(restore - 1);
            helpers = restore - 1;
        }
        setNativeThreads(1);
        banding = true;
        try {
            bands.run(job, count, restore - 1);
        } finally {
            banding = false;
            setNativeThreads(restore);
        }
    }

    /** Band {@code part} of the product {@link #sgemm} set up: its columns of {@code op(B)} and of {@code C}. */
    private void runBand(int part) {
        int first = bandStart(part);
        int end = bandStart(part + 1);
        // Column j of op(B) starts at B + j, or at row j (B + j·ldb) when B is stored transposed.
        long bStep = bandTb == CBLAS_TRANS ? bandLdb : 1;
        call(bandTa, bandTb, bandM, end - first, bandK, bandAlpha, bandA, bandLda,
                bandB + first * bStep * Float.BYTES, bandLdb, bandBeta, bandC + (long) first * Float.BYTES, bandLdc);
    }

    /** The first column of band {@code part}: a multiple of 8, so every band but the last is whole vectors. */
    private int bandStart(int part) {
        return part == bandParts ? bandN : (int) ((long) bandN * part / bandParts) & ~7;
    }

    private void call(int ta, int tb, int m, int n, int k, float alpha, long aAddress, int lda, long bAddress,
                      int ldb, float beta, long cAddress, int ldc) {
        try {
            if (sgemm != null) {
                sgemm.invokeExact(CBLAS_ROW_MAJOR, ta, tb, m, n, k, alpha, aAddress, lda, bAddress, ldb, beta,
                        cAddress, ldc);
            } else {
                sgemm64.invokeExact(CBLAS_ROW_MAJOR, ta, tb, (long) m, (long) n, (long) k, alpha, aAddress,
                        (long) lda, bAddress, (long) ldb, beta, cAddress, (long) ldc);
            }
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        }
    }

    @Override
    public int threads() {
        try {
            return (int) getNumThreads.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_get_num_threads failed", t);
        }
    }

    @Override
    public void setThreads(int threads) {
        GemmArguments.checkThreads(threads);
        setNativeThreads(threads);
        this.threads = threads;
    }

    private void setNativeThreads(int threads) {
        try {
            if (int64) {
                setNumThreads.invokeExact((long) threads);
            } else {
                setNumThreads.invokeExact(threads);
            }
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_set_num_threads failed", t);
        }
    }

    @Override
    public String name() {
        return "openblas";
    }

    @Override
    public String describe() {
        String serial = serialBelow > 0 ? ", products under " + serialBelow + " multiply-adds in one-thread bands" : "";
        return "OpenBLAS " + config.trim() + " (core " + coreName + ", " + threads() + " threads" + serial + ", "
                + OpenBlasSpin.VARIABLE + "=" + OpenBlasSpin.effective() + ") from " + source
                + ": " + path;
    }

    /** Where the library was loaded from. */
    public Path path() {
        return path;
    }

    /** How it was found: explicit path, system library, or the bundled jar. */
    public String source() {
        return source;
    }

    /**
     * Advice when this is the bundled copy, which is slower than a system OpenBLAS on small products; {@code null}
     * otherwise. Measured on the project's 2-core AMD EPYC (bench/README.md, "Which OpenBLAS"): Debian's OpenBLAS
     * 0.3.21 ran the products of ResNet-20's convolutions up to 2.3× faster than the bundled build (0.3.31, and the
     * same publisher's 0.3.21 alike) on one thread at batch 1, and 1.5× on the first stage's at batch 64; a 1024³
     * product ran the same, and forcing the compute kernel changed nothing, so it is the work around the kernel that
     * differs. The training step took 564–686 against 835 ms at batch 128.
     */
    public String fasterLibraryHint() {
        if (!OpenBlasLocator.BUNDLED_SOURCE.equals(source)) {
            return null;
        }
        return "the bundled OpenBLAS build runs a ResNet's small products up to 2× slower than Debian's; install it"
                + " (sudo apt-get install libopenblas0-pthread) and Residual will load it instead";
    }

    /** What {@code openblas_get_config} says (version, build options, threading model). */
    public String config() {
        return config;
    }

    /** What {@code openblas_get_corename} says: the kernel family chosen for this CPU. */
    public String coreName() {
        return coreName;
    }

    private static MethodHandle bind(Linker linker, SymbolLookup symbols, String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = symbols.find(name).orElseThrow(() -> new NativeLibraryException(
                "The library loaded as OpenBLAS lacks a function it needs:",
                java.util.List.of(name + ": symbol not found"),
                "Point -D" + OpenBlasLocator.PATH_PROPERTY + " at a real OpenBLAS build (0.3.x)."));
        return linker.downcallHandle(symbol, descriptor);
    }

    private static String cString(MethodHandle function) {
        try {
            MemorySegment pointer = (MemorySegment) function.invokeExact();
            return pointer.equals(MemorySegment.NULL) ? "" : pointer.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw new IllegalStateException("could not read a string from OpenBLAS", t);
        }
    }
}
