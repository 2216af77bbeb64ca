package dev.residual.runtime.io;

import static dev.residual.runtime.io.SafetensorsBytes.concat;
import static dev.residual.runtime.io.SafetensorsBytes.f32;
import static dev.residual.runtime.io.SafetensorsBytes.file;
import static dev.residual.runtime.io.SafetensorsBytes.i64;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files written by hand from the format description, as another writer (e.g. PyTorch's) could lay them out. */
class SafetensorsHandMadeTest {

    @TempDir
    Path temp;

    @Test
    void readsAFileBuiltFromTheSpec() throws IOException {
        // Entries in no particular order, data not in name order, pretty-printed JSON, space padding, an I64 scalar
        // and metadata: everything a conforming writer may do.
        String header = """
                {
                  "bn.running_var": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]},
                  "__metadata__": {"format": "pt", "source": "hand\\u002dmade \\"test\\""},
                  "bn.num_batches_tracked": {"data_offsets": [16, 24], "shape": [], "dtype": "I64"},
                  "fc.weight": {"dtype": "F32", "shape": [2, 1], "data_offsets": [0, 8]},
                  "caf\\u00e9.\\ud83d\\ude00\\/x": {"dtype": "U8", "shape": [0], "data_offsets": [24, 24]}
                }     \
                """;
        byte[] data = concat(f32(1.5f, -2f), f32(0.25f, 4f), i64(-3));
        Path path = Files.write(temp.resolve("hand.safetensors"), file(header, data));

        try (SafetensorsFile in = SafetensorsFile.open(path)) {
            assertEquals(List.of("bn.num_batches_tracked", "bn.running_var", "caf\u00e9.\uD83D\uDE00/x", "fc.weight"),
                    List.copyOf(in.entries().keySet()));
            assertEquals(Map.of("format", "pt", "source", "hand-made \"test\""), in.metadata());
            assertArrayEquals(new float[] {1.5f, -2f}, in.floats("fc.weight"));
            assertArrayEquals(new long[] {2, 1}, in.entry("fc.weight").shape());
            assertArrayEquals(new float[] {0.25f, 4f}, in.floats("bn.running_var"));
            SafetensorsFile.Entry counter = in.entry("bn.num_batches_tracked");
            assertEquals(Dtype.I64, counter.dtype());
            assertEquals(1, counter.elementCount());
            long[] value = new long[1];
            in.copyTo("bn.num_batches_tracked", MemorySegment.ofArray(value));
            assertEquals(-3, value[0]);
            assertArrayEquals(new long[] {-3}, in.longs("bn.num_batches_tracked"));
            IllegalArgumentException wrongType = assertThrows(IllegalArgumentException.class,
                    () -> in.longs("fc.weight"));
            assertTrue(wrongType.getMessage().contains("is F32, not I64"), wrongType.getMessage());
            assertThrows(IllegalArgumentException.class, () -> in.floats("bn.num_batches_tracked"));
            assertEquals(0, in.entry("caf\u00e9.\uD83D\uDE00/x").byteSize());
        }
    }

    @Test
    void readsDataThatIsNotAligned() throws IOException {
        // A 3-byte header puts the data at byte 11: nothing in the format promises alignment.
        Path path = Files.write(temp.resolve("odd.safetensors"), file("{} ", new byte[0]));
        try (SafetensorsFile in = SafetensorsFile.open(path)) {
            assertEquals(0, in.entries().size());
        }
        String header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}";
        assertNotEquals(0, (8 + header.length()) % 4, "the floats are not 4-byte aligned");
        Path odd = Files.write(temp.resolve("odd2.safetensors"), file(header, f32(1, 2, 3)));
        try (SafetensorsFile in = SafetensorsFile.open(odd)) {
            assertArrayEquals(new float[] {1, 2, 3}, in.floats("x"));
        }
    }

    @Test
    void toleratesGapsAndTrailingBytes() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        Path path = Files.write(temp.resolve("gaps.safetensors"), file(header, f32(9, 7, 5)));
        try (SafetensorsFile in = SafetensorsFile.open(path)) {
            assertArrayEquals(new float[] {7}, in.floats("a"));
        }
    }
}
