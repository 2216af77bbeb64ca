package dev.residual.runtime.gemm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * How long OpenBLAS's idle workers spin after a product: {@value #VARIABLE}, 2^value cycles, which OpenBLAS reads once,
 * when it loads. Residual sets it to {@value #DEFAULT} (sleep at once) in the process environment before loading
 * OpenBLAS, unless the environment already has it or {@code -D}{@value #PROPERTY} says otherwise.
 *
 * <p><b>Why.</b> OpenBLAS's default is 2^28 cycles, about 0.1 s: longer than the gap between two products of a
 * training step, so its worker is still spinning (calling {@code sched_yield}) while Residual's own kernels run on
 * the {@code residual-ops-N} threads between products, and on a 2-core machine it takes a core from them. Measured
 * on the project's machine (bench/README.md, "Batch 128: OpenBLAS's workers asleep"): in a ResNet-20 training step at
 * batch 128 the OpenBLAS worker used 13 s of CPU in 20 s, the {@code residual-ops-1} thread 7.5 s, and the step's
 * median was 706–748 ms; with 4, 6.7 s against 10 s, and 505–576 ms. Batch-1 inference is unaffected: its products
 * run as bands on one OpenBLAS thread ({@link OpenBlasGemm#runsSerially}), so OpenBLAS's workers never start.
 */
final class OpenBlasSpin {

    private OpenBlasSpin() {}

    /** The environment variable OpenBLAS reads. */
    static final String VARIABLE = "OPENBLAS_THREAD_TIMEOUT";
    /** Overrides Residual's value: a number OpenBLAS accepts (4 to 30), or {@code default} to leave it unset. */
    static final String PROPERTY = "residual.openblas.threadTimeout";
    /** Residual's value: 2^4 cycles, so idle workers sleep at once. */
    static final String DEFAULT = "4";

    /** What the environment held when OpenBLAS loaded, as {@link #apply} left it; {@code null} before. */
    private static volatile String effective;

    /**
     * Puts {@value #VARIABLE} in the process environment as {@link #decide} says; call before loading OpenBLAS.
     * Returns the value OpenBLAS will read, or {@code "default"}.
     */
    static synchronized String apply() {
        String inherited = System.getenv(VARIABLE);
        String value = decide(inherited, System.getProperty(PROPERTY));
        if (value == null) {
            return effective = inherited != null ? inherited : "default";
        }
        return effective = setenv(VARIABLE, value) ? value : "default";
    }

    /**
     * The value to set, or {@code null} to set nothing: nothing when the environment has one ({@code inherited}, the
     * user's choice) or the property is {@code default}; else the property's number, or {@value #DEFAULT}.
     *
     * @throws IllegalArgumentException if the property is neither a number nor {@code default}
     */
    static String decide(String inherited, String property) {
        if (inherited != null) {
            return null;
        }
        String wanted = property == null || property.isBlank() ? DEFAULT : property.strip();
        if (wanted.equals("default")) {
            return null;
        }
        if (!wanted.matches("[0-9]{1,2}")) {
            throw new IllegalArgumentException("-D" + PROPERTY + " must be a whole number (OpenBLAS's workers spin"
                    + " 2^value cycles; it accepts 4 to 30) or 'default' (OpenBLAS's own, 28), got '" + wanted + "'");
        }
        return wanted;
    }

    /** The value {@link #apply} gave OpenBLAS, for {@link OpenBlasGemm#describe}. */
    static String effective() {
        String value = effective;
        return value != null ? value : Optional.ofNullable(System.getenv(VARIABLE)).orElse("default");
    }

    /**
     * The C library's {@code setenv(name, value, 0)}: what a library loaded afterwards reads with {@code getenv}
     * ({@link System#getenv} keeps the JVM's start-up copy). False when the C library has none.
     */
    private static boolean setenv(String name, String value) {
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> symbol = linker.defaultLookup().find("setenv");
        if (symbol.isEmpty()) {
            return false;
        }
        MethodHandle setenv = linker.downcallHandle(symbol.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            return (int) setenv.invokeExact(arena.allocateFrom(name), arena.allocateFrom(value), 0) == 0;
        } catch (Throwable t) {
            throw new IllegalStateException("setenv(" + name + ") failed", t);
        }
    }
}
