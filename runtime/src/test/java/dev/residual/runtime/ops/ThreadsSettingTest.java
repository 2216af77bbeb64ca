package dev.residual.runtime.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.gemm.Backends;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code -Dresidual.threads} is the one setting for parallelism: a fresh JVM started with it gives the default GEMM
 * backend and the element-wise kernels' pool that many threads, and says so once in its log.
 */
class ThreadsSettingTest {

    /** Run in a child JVM: prints what the setting became. */
    public static final class Probe {
        public static void main(String[] args) {
            System.out.println("gemm=" + Backends.defaultGemm().threads() + " ops=" + Workers.shared().threads());
        }
    }

    private static List<String> probe(String threads) throws IOException, InterruptedException {
        return probe(threads, 0);
    }

    private static List<String> probe(String threads, int exitCode) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-D" + Backends.THREADS_PROPERTY + "=" + threads,
                "-D" + Backends.BACKEND_PROPERTY + "=java", "-cp", System.getProperty("java.class.path"),
                Probe.class.getName()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(exitCode, process.waitFor(), output);
        return output.lines().toList();
    }

    @Test
    void aFreshJvmUsesTheConfiguredCountForBoth() throws Exception {
        for (String threads : List.of("1", "3")) {
            List<String> lines = probe(threads);
            assertEquals("gemm=" + threads + " ops=" + threads, lines.getLast(), String.join("\n", lines));
            long logged = lines.stream().filter(line -> line.contains("Threads per model step: " + threads)).count();
            assertEquals(1, logged, "the setting is logged once:\n" + String.join("\n", lines));
        }
    }

    @Test
    void aBadValueStopsTheJvmWithAMessageNamingIt() throws Exception {
        String output = String.join("\n", probe("zero", 1));
        assertTrue(output.contains("-Dresidual.threads=zero is not a thread count"), output);
    }

    @Test
    void valuesAreParsedOrRejectedWithTheirName() {
        assertEquals(Runtime.getRuntime().availableProcessors(), Backends.parseThreads(null));
        assertEquals(Runtime.getRuntime().availableProcessors(), Backends.parseThreads(" "));
        assertEquals(2, Backends.parseThreads(" 2 "));
        IllegalArgumentException notNumber = assertThrows(IllegalArgumentException.class,
                () -> Backends.parseThreads("two"));
        assertTrue(notNumber.getMessage().contains("-Dresidual.threads=two"), notNumber.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Backends.parseThreads("0"));
    }
}
