package dev.residual.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.ops.Workers;
import org.junit.jupiter.api.Test;

class ThreadsTest {

    @Test
    void aProgramsThreadCountIsTheOneEveryPartyReports() {
        int before = Backends.threads();
        try {
            int other = before == 1 ? 2 : 1;
            assertEquals(other, Threads.gemm("java", other).threads());
            assertEquals(other, Backends.threads(), "the logged and reported count follows --threads");
            assertEquals(other, Workers.shared().threads());
        } finally {
            Threads.gemm("java", before);
        }
        assertEquals(before, Backends.threads());
    }

    @Test
    void aThreadCountOutOfRangeIsRefusedBeforeAnythingChanges() {
        int before = Backends.threads();
        assertThrows(IllegalArgumentException.class, () -> Threads.gemm("java", 0));
        assertEquals(before, Backends.threads());
    }
}
