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
 * <p>{@value #THREADS_PROPERTY} sets the backend's thread count (default: all available processors). This is the one
 * setting for who owns parallelism: the GEMM backend does, and callers run one model step on one thread.
 */
public final class Backends {

    public static final String BACKEND_PROPERTY = "residual.gemm";
    public static final String THREADS_PROPERTY = "residual.threads";
    private static final System.Logger LOG = System.getLogger("dev.residual.gemm");

    private Backends() {}

    private static final class Default {
        static final Gemm GEMM = choose(System.getProperty(BACKEND_PROPERTY, "auto"), OpenBlasLocator.fromEnvironment(),
                Integer.getInteger(THREADS_PROPERTY, Runtime.getRuntime().availableProcessors()));
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
