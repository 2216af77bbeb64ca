package dev.residual.runtime.gemm;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Reference;
import java.nio.file.Path;

/**
 * OpenBLAS's {@code cblas_sgemm} through a Panama downcall.
 *
 * <p>Pointers are passed as {@code long} addresses ({@code segment.address() + offset}): on x86-64 System V a pointer
 * and a 64-bit integer travel in the same registers, and passing the address avoids creating a slice object per call,
 * so a call allocates nothing. The segments are kept reachable across the call with
 * {@link Reference#reachabilityFence}. No {@code Linker.Option.critical}: a large GEMM would hold up the garbage
 * collector for every thread.
 *
 * <p><b>Small products run on the calling thread.</b> A product of fewer multiply-adds ({@code m·n·k}) than
 * {@code -D}{@value #SERIAL_BELOW_PROPERTY} says (default {@value #DEFAULT_SERIAL_BELOW}: every convolution of a
 * batch-1 or batch-2 ResNet-20) is computed with OpenBLAS set to one thread for the call. OpenBLAS's caller waits for
 * its workers to finish their share, and when other processes keep the cores busy a worker may wait a whole scheduler
 * time slice for a core. On the 2-core machine with two busy processes beside it, a batch-1 ResNet-20 inference's
 * 99th percentile was 164–256 ms with every product on two threads against 16 ms with these on one; quiet, the median
 * was 4.1–6.7 ms against 4.8–5.0 ({@code bench/latency_under_load.sh}, {@code bench/README.md}, "Threads"). A
 * latency that cannot collapse is worth more to a service than the best quiet-machine case; set the property to 0 to
 * let every product use all threads. The switch is {@code openblas_set_num_threads}, process-wide and about 0.3 µs:
 * if two threads call at once, one may run its product with the other's thread count, which changes its speed, never
 * its result's correctness.
 */
public final class OpenBlasGemm implements Gemm {

    private static final int CBLAS_ROW_MAJOR = 101;
    private static final int CBLAS_NO_TRANS = 111;
    private static final int CBLAS_TRANS = 112;

    private final MethodHandle sgemm;
    private final MethodHandle sgemm64;
    private final MethodHandle setNumThreads;
    private final MethodHandle getNumThreads;
    private final Path path;
    private final String source;
    private final String config;
    private final String coreName;
    private final boolean int64;
    /** Products with {@code m·n·k} below this run on one thread; 0 never. */
    private final long serialBelow;
    /** The thread count {@link #setThreads} set: what a product above {@link #serialBelow} uses. */
    private volatile int threads;

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

    /** As {@link #OpenBlasGemm(OpenBlasLocator.Located)}, with products under {@code serialBelow} on one thread. */
    public OpenBlasGemm(OpenBlasLocator.Located library, long serialBelow) {
        if (serialBelow < 0) {
            throw new IllegalArgumentException("serialBelow must be >= 0 multiply-adds, got " + serialBelow);
        }
        this.serialBelow = serialBelow;
        Linker linker = Linker.nativeLinker();
        SymbolLookup symbols = library.symbols();
        this.path = library.path();
        this.source = library.source();
        MethodHandle getConfig = bind(linker, symbols, "openblas_get_config", FunctionDescriptor.of(ValueLayout.ADDRESS));
        MethodHandle getCore = bind(linker, symbols, "openblas_get_corename", FunctionDescriptor.of(ValueLayout.ADDRESS));
        this.config = cString(getConfig);
        this.coreName = cString(getCore);
        // An INTERFACE64 build takes 64-bit integers for every size and leading dimension.
        this.int64 = config.contains("USE64BITINT");
        ValueLayout integer = int64 ? ValueLayout.JAVA_LONG : ValueLayout.JAVA_INT;
        this.setNumThreads = bind(linker, symbols, "openblas_set_num_threads", FunctionDescriptor.ofVoid(integer));
        this.getNumThreads = bind(linker, symbols, "openblas_get_num_threads", FunctionDescriptor.of(ValueLayout.JAVA_INT));
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
        int restore = threads;
        boolean serial = runsSerially(m, n, k);
        if (serial) {
            setNativeThreads(1);
        }
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
        } finally {
            if (serial) {
                setNativeThreads(restore);
            }
            Reference.reachabilityFence(a);
            Reference.reachabilityFence(b);
            Reference.reachabilityFence(c);
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

    /**
     * How long OpenBLAS's idle workers spin before sleeping, 2^value cycles (default 28, about 0.1 s); read by OpenBLAS
     * when it loads. Left to the user: measured on the loaded 2-core machine, a shorter spin (4 or 20) made a batch-1
     * inference 1.5–2.4 times as expensive in CPU, since each product then has to wake the workers (bench/README.md).
     */
    static final String THREAD_TIMEOUT = "OPENBLAS_THREAD_TIMEOUT";

    @Override
    public String describe() {
        String serial = serialBelow > 0 ? ", products under " + serialBelow + " multiply-adds on one" : "";
        return "OpenBLAS " + config.trim() + " (core " + coreName + ", " + threads() + " threads" + serial + ", "
                + THREAD_TIMEOUT + "=" + System.getenv().getOrDefault(THREAD_TIMEOUT, "default") + ") from " + source
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
