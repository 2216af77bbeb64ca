package dev.residual.runtime.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Test;

/** OpenBLAS's idle spin: what Residual sets before loading it, and that the C library's environment then has it. */
class OpenBlasSpinTest {

    @Test
    void theUsersOwnValueOrDefaultIsLeftAlone() {
        assertNull(OpenBlasSpin.decide("28", null), "a value in the environment is the user's");
        assertNull(OpenBlasSpin.decide("28", "10"), "and wins over the property");
        assertNull(OpenBlasSpin.decide(null, "default"), "'default' leaves OpenBLAS's own");
    }

    @Test
    void otherwiseWorkersSleepAtOnceUnlessThePropertySaysHowLong() {
        assertEquals(OpenBlasSpin.DEFAULT, OpenBlasSpin.decide(null, null));
        assertEquals(OpenBlasSpin.DEFAULT, OpenBlasSpin.decide(null, " "));
        assertEquals("20", OpenBlasSpin.decide(null, " 20 "));
    }

    @Test
    void aPropertyThatIsNoNumberSaysWhatItWants() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpenBlasSpin.decide(null, "fast"));
        assertTrue(e.getMessage().contains(OpenBlasSpin.PROPERTY) && e.getMessage().contains("'fast'")
                && e.getMessage().contains("default"), e.getMessage());
    }

    @Test
    void loadingOpenBlasPutsTheValueWhereItReadsIt() throws Throwable {
        OpenBlasGemm gemm = OpenBlasGemm.load();
        String inherited = System.getenv(OpenBlasSpin.VARIABLE);
        String expected = inherited != null ? inherited : OpenBlasSpin.DEFAULT;
        // OpenBLAS reads getenv, not Java's start-up copy of the environment.
        assertEquals(expected, nativeGetenv(OpenBlasSpin.VARIABLE));
        assertEquals(expected, OpenBlasSpin.effective());
        assertTrue(gemm.describe().contains(OpenBlasSpin.VARIABLE + "=" + expected), gemm.describe());
    }

    private static String nativeGetenv(String name) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle getenv = linker.downcallHandle(linker.defaultLookup().find("getenv").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment value = (MemorySegment) getenv.invokeExact(arena.allocateFrom(name));
            return value.equals(MemorySegment.NULL) ? null : value.reinterpret(Long.MAX_VALUE).getString(0);
        }
    }
}
