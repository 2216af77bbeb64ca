package dev.residual.runtime.io;

import static dev.residual.runtime.io.SafetensorsBytes.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write either replaces the file completely or leaves the old one as it was, with no temporary file behind. */
class SafetensorsAtomicWriteTest {

    @TempDir
    Path temp;

    private List<String> folderContents() throws IOException {
        try (Stream<Path> files = Files.list(temp)) {
            return files.map(path -> path.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void replacesAnExistingFileAndLeavesNothingElse() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Path file = temp.resolve("model.safetensors");
            Safetensors.save(file, List.of(tensor(arena, "w", 1, 3)));
            Safetensors.save(file, List.of(tensor(arena, "w", 2, 3), tensor(arena, "b", 0, 1)));
            assertEquals(List.of("model.safetensors"), folderContents());
            try (SafetensorsFile in = SafetensorsFile.open(file)) {
                assertArrayEquals(new float[] {2, 3, 4}, in.floats("w"));
            }
        }
    }

    @Test
    void failureWhileWritingDataKeepsTheOldFile() throws IOException {
        Path file = temp.resolve("model.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            Safetensors.save(file, List.of(tensor(arena, "old", 1, 4)));
        }
        byte[] old = Files.readAllBytes(file);

        // "z" sorts last, so the header and a few MB of "a" are on disk when reading z's closed memory fails.
        Arena closed = Arena.ofConfined();
        Tensor dead = tensor(closed, "z", 0, 8);
        closed.close();
        try (Arena arena = Arena.ofConfined()) {
            Tensor big = tensor(arena, "a", 0, 1 << 20);
            assertThrows(IllegalStateException.class, () -> Safetensors.save(file, List.of(dead, big)));
        }
        assertArrayEquals(old, Files.readAllBytes(file));
        assertEquals(List.of("model.safetensors"), folderContents());
    }

    @Test
    void failureToRenameKeepsWhatWasThere() throws IOException {
        // rename(2) cannot replace a non-empty folder: an I/O failure at the last step, reliable even as root.
        Path folder = Files.createDirectories(temp.resolve("model.safetensors"));
        Files.writeString(folder.resolve("keep.txt"), "keep");
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IOException.class, () -> Safetensors.save(folder, List.of(tensor(arena, "w", 0, 2))));
        }
        assertEquals(List.of("model.safetensors"), folderContents());
        assertEquals("keep", Files.readString(folder.resolve("keep.txt")));
    }

    @Test
    void missingFolderIsAnIOException() {
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(NoSuchFileException.class, () -> Safetensors.write(temp.resolve("no/such/model.safetensors"),
                    List.of(tensor(arena, "w", 0, 2)), Map.of()));
        }
    }

    @Test
    void newFileHasTheUsualPermissionsNotATemporaryFilesOwnerOnly() throws IOException {
        Path file = temp.resolve("shared.safetensors");
        Path reference = Files.createFile(temp.resolve("reference"));
        Safetensors.save(file, List.of());
        assertEquals(Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(file));
        assertTrue(Files.isRegularFile(file));
    }
}
