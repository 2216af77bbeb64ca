package dev.residual.runtime.io;

import static dev.residual.runtime.io.SafetensorsBytes.tensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link Safetensors} writes reads back the same, bit for bit, and the bytes follow the spec. */
class SafetensorsRoundTripTest {

    @TempDir
    Path temp;

    @Test
    void roundTripKeepsNamesShapesMetadataAndBits() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Tensor weight = tensor(arena, "stage1.0.conv1.0.weight", 0.5f, 4, 3, 3, 3);
            Tensor odd = tensor(arena, "a.odd", 0, 6);
            float[] special = {Float.NaN, Float.intBitsToFloat(0x7fc12345), -0.0f, Float.POSITIVE_INFINITY,
                Float.MIN_VALUE, -Float.MAX_VALUE};
            odd.copyFrom(special);
            Tensor scalar = tensor(arena, "scale", 3, new int[0]);
            Tensor empty = tensor(arena, "empty", 0, 0, 5);
            Path file = temp.resolve("model.safetensors");
            Safetensors.write(file, List.of(weight, odd, scalar, empty), Map.of("format", "pt", "epoch", "7"));

            SafetensorsFile in = SafetensorsFile.open(file);
            Tensor copy;
            try (in) {
                assertEquals(List.of("a.odd", "empty", "scale", "stage1.0.conv1.0.weight"),
                        List.copyOf(in.entries().keySet()));
                assertEquals(Map.of("epoch", "7", "format", "pt"), in.metadata());
                for (Tensor t : List.of(weight, odd, scalar, empty)) {
                    SafetensorsFile.Entry entry = in.entry(t.name());
                    assertEquals(Dtype.F32, entry.dtype());
                    assertArrayEquals(java.util.Arrays.stream(t.shape()).asLongStream().toArray(), entry.shape());
                    assertArrayEquals(bits(t.toArray()), bits(in.floats(t.name())), t.name());
                }
                copy = in.tensor("stage1.0.conv1.0.weight", arena);
                assertArrayEquals(weight.shape(), copy.shape());
                assertArrayEquals(weight.toArray(), copy.toArray());
            }
            assertEquals(0.5f, copy.get(0), "a copied tensor outlives the file");
            assertEquals(4, in.entries().size(), "entries outlive the file");
            assertThrows(IllegalStateException.class, () -> in.floats("scale"), "the mapping does not");
        }
    }

    @Test
    void writingTwiceGivesByteIdenticalFilesWhateverTheOrder() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Tensor a = tensor(arena, "a", 1, 3, 2);
            Tensor b = tensor(arena, "b", 2, 5);
            Tensor c = tensor(arena, "c.weight", 3, 1, 1, 7);
            Path first = temp.resolve("first.safetensors");
            Path second = temp.resolve("second.safetensors");
            Safetensors.write(first, List.of(c, a, b), Map.of("x", "1", "format", "pt"));
            Safetensors.write(second, List.of(b, c, a), new java.util.HashMap<>(Map.of("format", "pt", "x", "1")));
            assertEquals(-1, Files.mismatch(first, second));
        }
    }

    @Test
    void layoutFollowsTheSpec() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Path file = temp.resolve("layout.safetensors");
            Safetensors.write(file, List.of(tensor(arena, "w", 1, 2), tensor(arena, "b", 9, 1)),
                    Map.of("format", "pt"));
            byte[] bytes = Files.readAllBytes(file);
            ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            long headerLength = buffer.getLong(0);
            assertEquals(0, (8 + headerLength) % 8, "data starts on an 8-byte boundary");
            String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
            assertEquals("{\"__metadata__\":{\"format\":\"pt\"},"
                    + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                    + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", header.stripTrailing());
            assertTrue(header.length() - header.stripTrailing().length() < 8, "padding is under 8 spaces");
            assertEquals(8 + headerLength + 12, bytes.length);
            int data = (int) (8 + headerLength);
            assertEquals(9f, buffer.getFloat(data));
            assertEquals(1f, buffer.getFloat(data + 4));
            assertEquals(2f, buffer.getFloat(data + 8));
        }
    }

    @Test
    void otherDtypesAndAwkwardNamesRoundTrip() throws IOException {
        String awkward = "we\"ird\\name\n\t/ünï.权重.\uD83D\uDE00";
        Path file = temp.resolve("items.safetensors");
        MemorySegment halves = MemorySegment.ofArray(new short[] {0x3c00, (short) 0xbc00, 0x7bff});
        Safetensors.writeItems(file, List.of(
                new Safetensors.Item("a.byte", Dtype.U8, new long[] {1}, MemorySegment.ofArray(new byte[] {7})),
                Safetensors.Item.scalar("bn.num_batches_tracked", 1234567890123L),
                new Safetensors.Item("half", Dtype.F16, new long[] {3}, halves),
                new Safetensors.Item("flags", Dtype.BOOL, new long[] {2}, MemorySegment.ofArray(new byte[] {1, 0})),
                new Safetensors.Item(awkward, Dtype.F64, new long[] {1}, MemorySegment.ofArray(new double[] {0.1}))),
                Map.of("note \"quoted\"", "line\nbreak"));
        try (SafetensorsFile in = SafetensorsFile.open(file)) {
            assertEquals(Map.of("note \"quoted\"", "line\nbreak"), in.metadata());
            for (SafetensorsFile.Entry entry : in.entries().values()) {
                assertEquals(0, entry.begin() % entry.dtype().byteSize(), entry + " is aligned");
            }
            SafetensorsFile.Entry counter = in.entry("bn.num_batches_tracked");
            assertEquals(Dtype.I64, counter.dtype());
            assertArrayEquals(new long[0], counter.shape());
            long[] value = new long[1];
            in.copyTo("bn.num_batches_tracked", MemorySegment.ofArray(value));
            assertEquals(1234567890123L, value[0]);
            short[] back = new short[3];
            in.copyTo("half", MemorySegment.ofArray(back));
            assertArrayEquals(new short[] {0x3c00, (short) 0xbc00, 0x7bff}, back);
            assertEquals(0x3c, in.bytes("half").get(java.lang.foreign.ValueLayout.JAVA_BYTE, 1), "little-endian");
            double[] d = new double[1];
            in.copyTo(awkward, MemorySegment.ofArray(d));
            assertEquals(0.1, d[0]);
            IllegalArgumentException notF32 = assertThrows(IllegalArgumentException.class,
                    () -> in.floats("bn.num_batches_tracked"));
            assertTrue(notF32.getMessage().contains("is I64, not F32"), notF32.getMessage());
            IllegalArgumentException absent = assertThrows(IllegalArgumentException.class, () -> in.entry("nope"));
            assertTrue(absent.getMessage().contains("no tensor \"nope\""), absent.getMessage());
        }
    }

    @Test
    void aFileWithNoTensorsRoundTrips() throws IOException {
        Path file = temp.resolve("none.safetensors");
        Safetensors.save(file, List.of());
        assertEquals(16, Files.size(file), "8 bytes of length, then {} padded to 8");
        try (SafetensorsFile in = SafetensorsFile.open(file)) {
            assertTrue(in.entries().isEmpty());
            assertTrue(in.metadata().isEmpty());
        }
    }

    @Test
    void writerRejectsDuplicateAndReservedNamesWithoutCreatingAFile() {
        try (Arena arena = Arena.ofConfined()) {
            Path file = temp.resolve("dup.safetensors");
            IllegalArgumentException duplicate = assertThrows(IllegalArgumentException.class, () -> Safetensors.save(
                    file, List.of(tensor(arena, "a", 0, 1), tensor(arena, "b", 0, 1), tensor(arena, "a", 0, 2))));
            assertTrue(duplicate.getMessage().contains("[a]"), duplicate.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> Safetensors.save(file, List.of(tensor(arena, "__metadata__", 0, 1))));
            assertThrows(IllegalArgumentException.class,
                    () -> Safetensors.save(file, List.of(tensor(arena, "lone\uD800", 0, 1))));
            assertFalse(Files.exists(file));
        }
    }

    private static int[] bits(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }
}
