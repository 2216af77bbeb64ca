package dev.residual.runtime.gemm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Makes OpenBLAS's worker threads sleep as soon as a product ends instead of spinning.
 *
 * <p>OpenBLAS (pthreads build) keeps its workers busy-waiting for the next call for {@code 2^THREAD_TIMEOUT} cycles,
 * 2^28 by default — about 0.1 s, longer than the gap between two products of a model step. During that gap the
 * element-wise kernels run on {@link dev.residual.runtime.ops.Workers}' threads, and a spinning OpenBLAS worker takes
 * a core from them. Measured on the project's 2-core machine: after one 512³ sgemm on 2 threads the process burned
 * 37 ms of CPU during the next 200 ms in which it did nothing; with {@code OPENBLAS_THREAD_TIMEOUT=4} (the minimum,
 * 16 cycles) it burned 0. The price is a wake-up of the workers at the start of each product, microseconds against
 * the milliseconds of a convolution's product.
 *
 * <p>OpenBLAS reads the variable once, when the library is loaded, so it is set in this process's environment just
 * before that, and only when the user has not set it: an explicit {@code OPENBLAS_THREAD_TIMEOUT} wins.
 */
final class OpenBlasIdleThreads {

    static final String VARIABLE = "OPENBLAS_THREAD_TIMEOUT";
    /** OpenBLAS's minimum: workers sleep after 2^4 cycles of idling. */
    static final String SLEEP_AT_ONCE = "4";

    private static String configured;

    private OpenBlasIdleThreads() {}

    /**
     * Sets {@value #VARIABLE} to {@value #SLEEP_AT_ONCE} unless it is set, once per JVM; returns the value OpenBLAS
     * will see (or why it sees its default), for {@code describe()}.
     */
    static synchronized String configure() {
        if (configured == null) {
            configured = set();
        }
        return configured;
    }

    private static String set() {
        String current = System.getenv(VARIABLE);
        if (current != null) {
            return current;
        }
        Linker linker = Linker.nativeLinker();
        MethodHandle setenv = linker.defaultLookup().find("setenv")
                .map(symbol -> linker.downcallHandle(symbol, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT)))
                .orElse(null);
        if (setenv == null) {
            return "(OpenBLAS default: setenv not found)";
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom(VARIABLE);
            MemorySegment value = arena.allocateFrom(SLEEP_AT_ONCE);
            int result = (int) setenv.invokeExact(name, value, 0); // 0: never overwrite a value set meanwhile
            return result == 0 ? SLEEP_AT_ONCE : "(OpenBLAS default: setenv failed)";
        } catch (Throwable t) {
            return "(OpenBLAS default: " + t + ")";
        }
    }
}
