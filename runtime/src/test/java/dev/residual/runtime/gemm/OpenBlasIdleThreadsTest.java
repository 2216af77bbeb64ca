package dev.residual.runtime.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Test;

/**
 * Loading OpenBLAS leaves {@code OPENBLAS_THREAD_TIMEOUT} in the process environment, where the library reads it:
 * 4 (workers sleep at once) unless the user had set it, and the backend's description says which.
 */
class OpenBlasIdleThreadsTest {

    /** The variable as native code sees it now (System.getenv shows only the environment the JVM started with). */
    private static String nativeGetenv(String name) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle getenv = linker.downcallHandle(linker.defaultLookup().find("getenv").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment value = (MemorySegment) getenv.invokeExact(arena.allocateFrom(name));
            return value.equals(MemorySegment.NULL) ? null : value.reinterpret(64).getString(0);
        }
    }

    @Test
    void theTimeoutIsSetBeforeOpenBlasLoadsUnlessTheUserSetIt() throws Throwable {
        OpenBlasGemm gemm = new OpenBlasGemm(OpenBlasLocator.fromEnvironment().locate());
        String fromUser = System.getenv(OpenBlasIdleThreads.VARIABLE);
        String expected = fromUser != null ? fromUser : OpenBlasIdleThreads.SLEEP_AT_ONCE;
        assertEquals(expected, nativeGetenv(OpenBlasIdleThreads.VARIABLE));
        assertTrue(gemm.describe().contains(OpenBlasIdleThreads.VARIABLE + "=" + expected), gemm.describe());
    }
}
