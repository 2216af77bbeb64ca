package dev.residual.runtime.io;

import static dev.residual.runtime.io.SafetensorsBytes.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Safetensors#loadInto}: all or nothing, and one report of every difference. */
class SafetensorsLoadIntoTest {

    @TempDir
    Path temp;

    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void loadsEveryTensorAndIgnoresNumBatchesTracked() throws IOException {
        Path file = temp.resolve("checkpoint.safetensors");
        List<Tensor> saved = List.of(tensor(arena, "conv.weight", 1, 2, 1, 3, 3), tensor(arena, "bn.weight", 5, 2));
        List<Safetensors.Item> items = new ArrayList<>(saved.stream().map(Safetensors.Item::of).toList());
        items.add(Safetensors.Item.scalar("bn.num_batches_tracked", 938));
        Safetensors.writeItems(file, items, Map.of("format", "pt"));

        List<Tensor> model = List.of(tensor(arena, "bn.weight", 0, 2), tensor(arena, "conv.weight", 0, 2, 1, 3, 3));
        Safetensors.loadInto(file, model);
        assertArrayEquals(saved.get(1).toArray(), model.get(0).toArray());
        assertArrayEquals(saved.get(0).toArray(), model.get(1).toArray());

        // With nothing ignored, the counter is a name the model does not have.
        CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class,
                () -> Safetensors.loadInto(file, model, name -> false));
        assertEquals(List.of("bn.num_batches_tracked"), e.unexpected());
    }

    @Test
    void reportsEveryDifferenceAtOnceAndChangesNothing() throws IOException {
        Path file = temp.resolve("other.safetensors");
        Safetensors.writeItems(file, List.of(
                Safetensors.Item.of(tensor(arena, "same", 1, 2, 3)),
                Safetensors.Item.of(tensor(arena, "fc.weight", 1, 10, 32)),
                Safetensors.Item.of(tensor(arena, "both", 1, 3)),
                new Safetensors.Item("half", Dtype.F16, new long[] {2}, MemorySegment.ofArray(new short[2])),
                Safetensors.Item.of(tensor(arena, "extra.a", 1, 1)),
                Safetensors.Item.of(tensor(arena, "extra.b", 1, 1)),
                Safetensors.Item.scalar("bn.num_batches_tracked", 1)), Map.of());
        List<Tensor> model = List.of(
                tensor(arena, "same", -1, 2, 3),        // matches: must still not be loaded
                tensor(arena, "fc.weight", -1, 10, 64),
                tensor(arena, "both", -1, 4),
                tensor(arena, "half", -1, 2),
                tensor(arena, "gone.1", -1, 1),
                tensor(arena, "gone.2", -1, 1));
        List<float[]> before = model.stream().map(Tensor::toArray).toList();

        CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class,
                () -> Safetensors.loadInto(file, model));
        assertEquals(List.of("gone.1", "gone.2"), e.missing());
        assertEquals(List.of("extra.a", "extra.b"), e.unexpected());
        assertEquals(List.of("fc.weight: model [10, 64], file [10, 32]", "both: model [4], file [3]"), e.misshaped());
        assertEquals(List.of("half: model F32, file F16"), e.wrongDtype());
        String message = e.getMessage();
        for (String line : List.of(file.toString(), "nothing was loaded", "2 missing from the file", "gone.1",
                "gone.2", "2 unexpected in the file", "extra.a", "extra.b", "2 shape differs",
                "fc.weight: model [10, 64], file [10, 32]", "both: model [4], file [3]", "1 dtype is not F32",
                "half: model F32, file F16", "v.float()")) {
            assertTrue(message.contains(line), "no \"" + line + "\" in: " + message);
        }
        assertTrue(!message.contains("num_batches_tracked"), message);
        for (int i = 0; i < model.size(); i++) {
            assertArrayEquals(before.get(i), model.get(i).toArray(), model.get(i).name() + " changed");
        }
    }

    @Test
    void namesTheDataParallelPrefix() throws IOException {
        Path file = temp.resolve("ddp.safetensors");
        Safetensors.save(file, List.of(tensor(arena, "module.fc.weight", 0, 2)));
        CheckpointMismatchException e = assertThrows(CheckpointMismatchException.class,
                () -> Safetensors.loadInto(file, List.of(tensor(arena, "fc.weight", 0, 2))));
        assertTrue(e.getMessage().contains("model.module.state_dict()"), e.getMessage());
    }

    @Test
    void aCorruptFileChangesNothing() throws IOException {
        Path file = temp.resolve("corrupt.safetensors");
        Safetensors.save(file, List.of(tensor(arena, "w", 7, 4)));
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 4));
        Tensor target = tensor(arena, "w", 0, 4);
        assertThrows(SafetensorsFormatException.class, () -> Safetensors.loadInto(file, List.of(target)));
        assertArrayEquals(new float[] {0, 1, 2, 3}, target.toArray());
    }

    @Test
    void duplicateTargetsAreAProgrammingError() throws IOException {
        Path file = temp.resolve("one.safetensors");
        Safetensors.save(file, List.of(tensor(arena, "w", 7, 4)));
        assertThrows(IllegalArgumentException.class,
                () -> Safetensors.loadInto(file, List.of(tensor(arena, "w", 0, 4), tensor(arena, "w", 0, 4))));
    }
}
