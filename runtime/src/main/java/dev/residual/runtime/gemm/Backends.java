package dev.residual.runtime.gemm;

import java.lang.System.Logger.Level;
import java.util.Locale;

/**
 * Chooses the GEMM backend for this JVM, once.
 *
 * <p>{@value #BACKEND_PROPERTY} = {@code auto} (default), {@code openblas} or {@code java}. {@code auto} loads
 * OpenBLAS as {@link OpenBlasLocator} describes and falls back to {@link JavaGemm} with one warning when no native
 * library loads — except when an explicit library path was given: a wrong explicit path is an error, because the user
 * asked for that library. {@code openblas} never falls back.
 *
 * <p>{@value #THREADS_PROPERTY} is the one setting for parallelism ({@link #threads()}): how many threads one model
 * step uses (default: all available processors). The default backend's matrix products use that many, and so do the
 * element-wise kernels ({@code dev.residual.runtime.ops.Workers}); they take turns, never running at once. Set it to
 * 1 when several models step concurrently, one per thread, as a service answering requests in parallel would.
 */
public final class Backends {

    public static final String BACKEND_PROPERTY = "residual.gemm";
    public static final String THREADS_PROPERTY = "residual.threads";
    private static final System.Logger LOG = System.getLogger("dev.residual.gemm");

    private Backends() {}

    private static final class Default {
        static final Gemm GEMM = choose(System.getProperty(BACKEND_PROPERTY, "auto"), OpenBlasLocator.fromEnvironment(),
                threads());
    }

    /** The configured thread count once read; 0 before. Not a holder class, so a bad value fails every call alike. */
    private static int configuredThreads;

    /** The thread count one model step uses, from {@value #THREADS_PROPERTY}; read and logged once per JVM. */
    public static synchronized int threads() {
        if (configuredThreads == 0) {
            configuredThreads = parseThreads(System.getProperty(THREADS_PROPERTY));
            LOG.log(Level.INFO, "Threads per model step: {0} (-D{1}; the GEMM and the element-wise kernels take turns"
                    + " on them)", configuredThreads, THREADS_PROPERTY);
        }
        return configuredThreads;
    }

    /**
     * Makes {@code threads} the thread count of a model step for the rest of the JVM's life, as a program's
     * {@code --threads N} option does (see {@code dev.residual.runtime.Threads}), and logs it: later calls to
     * {@link #threads()} return it instead of {@value #THREADS_PROPERTY}'s value.
     */
    public static synchronized void useThreads(int threads) {
        GemmArguments.checkThreads(threads);
        if (configuredThreads != threads) {
            configuredThreads = threads;
            LOG.log(Level.INFO, "Threads per model step: {0} (set by the program; the GEMM and the element-wise"
                    + " kernels take turns on them)", threads);
        }
    }

    /**
     * Reads a {@value #THREADS_PROPERTY} value: {@code null} or blank means all available processors; anything else
     * must be a whole number from 1 to {@link Runtime#availableProcessors()}·4.
     *
     * @throws IllegalArgumentException naming the property when the value is not such a number
     */
    public static int parseThreads(String value) {
        if (value == null || value.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            return GemmArguments.checkThreads(Integer.parseInt(value.trim()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-D" + THREADS_PROPERTY + "=" + value + " is not a thread count: "
                    + (e instanceof NumberFormatException ? "not a whole number" : e.getMessage()), e);
        }
    }

    /** The backend every model in this JVM uses unless given another. */
    public static Gemm defaultGemm() {
        return Default.GEMM;
    }

    /** Chooses a backend as the properties would; visible for tests. */
    public static Gemm choose(String mode, OpenBlasLocator locator, int threads) {
        Gemm gemm = switch (mode.toLowerCase(Locale.ROOT)) {
            case "java" -> new JavaGemm();
            case "openblas" -> new OpenBlasGemm(locator.locate());
            case "auto" -> openBlasOrJava(locator);
            default -> throw new IllegalArgumentException("-D" + BACKEND_PROPERTY + "=" + mode
                    + " is not a backend; use auto, openblas or java");
        };
        gemm.setThreads(threads);
        LOG.log(Level.INFO, "GEMM backend: {0}", gemm.describe());
        if (gemm instanceof OpenBlasGemm blas && blas.fasterLibraryHint() != null) {
            LOG.log(Level.INFO, "Faster: {0}", blas.fasterLibraryHint());
        }
        return gemm;
    }

    private static Gemm openBlasOrJava(OpenBlasLocator locator) {
        try {
            return new OpenBlasGemm(locator.locate());
        } catch (NativeLibraryException e) {
            if (locator.hasExplicitPath()) {
                throw e;
            }
            LOG.log(Level.WARNING, "Falling back to the pure-Java GEMM, several times slower than OpenBLAS. "
                    + e.getMessage());
            return new JavaGemm();
        }
    }
}
