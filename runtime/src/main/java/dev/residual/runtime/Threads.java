package dev.residual.runtime;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.gemm.OpenBlasLocator;
import dev.residual.runtime.ops.Workers;

/**
 * A program's thread count applied to both parties that take turns on it: the GEMM backend and the element-wise
 * kernels' pool ({@link Workers}). A program with a {@code --threads N} option calls this once, so that N means what
 * {@code -Dresidual.threads=N} means (see {@link Backends}).
 */
public final class Threads {

    private Threads() {}

    /** The backend {@code -Dresidual.gemm} names ({@code auto} when unset) on {@code threads} threads. */
    public static Gemm gemm(int threads) {
        return gemm(System.getProperty(Backends.BACKEND_PROPERTY, "auto"), threads);
    }

    /**
     * The backend {@code mode} names ({@code auto}, {@code openblas}, {@code java}; see {@link Backends#choose}) on
     * {@code threads} threads, with the element-wise kernels' pool sized to the same count.
     */
    public static Gemm gemm(String mode, int threads) {
        Backends.useThreads(threads);
        Gemm gemm = Backends.choose(mode, OpenBlasLocator.fromEnvironment(), threads);
        Workers.shared().setThreads(threads);
        return gemm;
    }
}
