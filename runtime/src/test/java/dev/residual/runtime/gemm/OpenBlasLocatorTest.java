package dev.residual.runtime.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Discovery order and failure messages of {@link OpenBlasLocator}, and the fallback of {@link Backends}. */
class OpenBlasLocatorTest {

    private static final String NO_SUCH_SYSTEM_LIBRARY = "libresidual-test-no-such-library.so.0";
    private static final ClassLoader NO_CARRIER = new ClassLoader(null) {};

    @TempDir
    Path temp;

    @Test
    void explicitPathThatDoesNotExistIsAnErrorNotAFallback() {
        Path missing = temp.resolve("nowhere/libopenblas.so.0");
        OpenBlasLocator locator = new OpenBlasLocator(missing.toString(), OpenBlasLocator.SYSTEM_NAME,
                OpenBlasLocator.class.getClassLoader(), temp);
        NativeLibraryException e = assertThrows(NativeLibraryException.class, locator::locate);
        assertEquals(1, e.attempts().size(), e.getMessage());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
        // auto mode must not hide the user's wrong path behind the Java fallback
        assertThrows(NativeLibraryException.class, () -> Backends.choose("auto", locator, 1));
    }

    @Test
    void explicitPathThatIsNotALibrarySaysWhatTheLoaderSaid() throws IOException {
        Path notElf = Files.writeString(temp.resolve("libopenblas.so.0"), "not a shared object");
        OpenBlasLocator locator = new OpenBlasLocator(notElf.toString(), OpenBlasLocator.SYSTEM_NAME, null, temp);
        NativeLibraryException e = assertThrows(NativeLibraryException.class, locator::locate);
        assertTrue(e.getMessage().contains("the dynamic loader says"), e.getMessage());
    }

    @Test
    void missingDependencyIsNamed() throws Exception {
        // A real shared object that needs a library nobody has: the message must name that library.
        Path folder = Files.createDirectories(temp.resolve("dep"));
        Files.writeString(folder.resolve("missing.c"), "int residual_missing(void) { return 1; }\n");
        Files.writeString(folder.resolve("user.c"),
                "int residual_missing(void);\nint residual_user(void) { return residual_missing(); }\n");
        compile(folder, "-shared", "-fPIC", "-o", "libresidualmissingdep.so", "missing.c");
        compile(folder, "-shared", "-fPIC", "-o", "libuser.so", "user.c", "-L.", "-lresidualmissingdep");
        Files.delete(folder.resolve("libresidualmissingdep.so"));
        IOException e = assertThrows(IOException.class, () -> OpenBlasLocator.open(folder.resolve("libuser.so")));
        assertTrue(e.getMessage().contains("libresidualmissingdep.so"), e.getMessage());
    }

    private static void compile(Path folder, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("gcc"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(folder.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), "gcc failed: " + output);
    }

    @Test
    void withNothingAvailableEveryAttemptIsListedAndAutoFallsBackToJava() {
        OpenBlasLocator locator = new OpenBlasLocator(null, NO_SUCH_SYSTEM_LIBRARY, NO_CARRIER, temp);
        NativeLibraryException e = assertThrows(NativeLibraryException.class, locator::locate);
        assertEquals(2, e.attempts().size(), e.getMessage());
        assertTrue(e.attempts().get(0).contains(NO_SUCH_SYSTEM_LIBRARY), e.getMessage());
        assertTrue(e.attempts().get(1).contains("not on the class path"), e.getMessage());
        assertInstanceOf(JavaGemm.class, Backends.choose("auto", locator, 1));
        assertThrows(NativeLibraryException.class, () -> Backends.choose("openblas", locator, 1));
    }

    @Test
    void bundledCopyIsExtractedOnceAndReused() throws IOException {
        OpenBlasLocator locator = new OpenBlasLocator(null, NO_SUCH_SYSTEM_LIBRARY,
                OpenBlasLocator.class.getClassLoader(), temp);
        OpenBlasLocator.Located first = locator.locate();
        assertEquals("bundled org.bytedeco:openblas jar", first.source());
        assertTrue(first.path().startsWith(temp), first.path().toString());
        long modified = Files.getLastModifiedTime(first.path()).toMillis();
        OpenBlasLocator.Located second = locator.locate();
        assertEquals(first.path(), second.path());
        assertEquals(modified, Files.getLastModifiedTime(second.path()).toMillis());
        try (var entries = Files.list(temp)) {
            assertEquals(1, entries.count(), "only the extracted folder remains, no staging leftovers");
        }
        OpenBlasGemm gemm = new OpenBlasGemm(first);
        assertTrue(gemm.config().contains("OpenBLAS"), gemm.config());
        assertTrue(gemm.fasterLibraryHint().contains("apt-get install libopenblas0-pthread"), gemm.fasterLibraryHint());
        // The same file loaded as the user's own choice: no advice to replace it.
        OpenBlasGemm chosen = new OpenBlasGemm(new OpenBlasLocator(first.path().toString(), NO_SUCH_SYSTEM_LIBRARY,
                NO_CARRIER, temp).locate());
        assertNull(chosen.fasterLibraryHint(), chosen.source());
    }

    @Test
    void concurrentExtractionsAgree() throws Exception {
        Path cache = temp.resolve("race");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> new OpenBlasLocator(null, NO_SUCH_SYSTEM_LIBRARY,
                        OpenBlasLocator.class.getClassLoader(), cache).extractCarried(new ArrayList<>())));
            }
            Path first = results.get(0).get();
            for (Future<Path> result : results) {
                assertEquals(first, result.get());
            }
            try (var entries = Files.list(cache)) {
                assertEquals(1, entries.count(), "losers of the race clean up their staging folders");
            }
            for (String name : OpenBlasLocator.CARRIED_FILES) {
                assertTrue(Files.size(first.resolve(name)) > 0, name);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void unknownModeIsRejected() {
        OpenBlasLocator locator = new OpenBlasLocator(null, NO_SUCH_SYSTEM_LIBRARY, NO_CARRIER, temp);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backends.choose("cuda-please", locator, 1));
        assertTrue(e.getMessage().contains("auto, openblas or java"), e.getMessage());
    }
}
