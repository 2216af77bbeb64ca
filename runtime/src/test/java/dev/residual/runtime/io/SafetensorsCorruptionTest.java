package dev.residual.runtime.io;

import static dev.residual.runtime.io.SafetensorsBytes.f32;
import static dev.residual.runtime.io.SafetensorsBytes.file;
import static dev.residual.runtime.io.SafetensorsBytes.tensor;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every broken file is a {@link SafetensorsFormatException} naming the file, the problem with its numbers, and what
 * to do: never an out-of-bounds error, never a huge allocation.
 */
class SafetensorsCorruptionTest {

    private static final String F32_2x3 = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}";

    @TempDir
    Path temp;

    private int files;

    /** Opens {@code bytes} as a file; expects the exception, its file name, and every fragment in the message. */
    private SafetensorsFormatException assertRejected(byte[] bytes, String... fragments) throws IOException {
        Path path = Files.write(temp.resolve("broken" + files++ + ".safetensors"), bytes);
        return assertRejected(path, fragments);
    }

    private static SafetensorsFormatException assertRejected(Path path, String... fragments) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> {
            try (SafetensorsFile in = SafetensorsFile.open(path)) {
                throw new AssertionError("opened: " + in.entries());
            }
        });
        String message = e.getMessage();
        assertTrue(message.startsWith(path.toString()), message);
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), "no \"" + fragment + "\" in: " + message);
        }
        assertTrue(message.endsWith("."), "ends with advice: " + message);
        return e;
    }

    private static String header(String entries) {
        return "{" + entries + "}";
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        assertRejected(new byte[0], "0 bytes long", "truncated");
        assertRejected(new byte[5], "5 bytes long", "truncated");
    }

    @Test
    void headerLengthLargerThanTheFile() throws IOException {
        byte[] bytes = ByteBuffer.allocate(58).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array();
        assertRejected(bytes, "header length of 1000 bytes, but only 50 bytes follow", "truncated");
        byte[] huge = new byte[16];
        Arrays.fill(huge, (byte) 0xff);
        assertRejected(huge, "header length of 18446744073709551615 bytes, but only 8 bytes follow");
    }

    @Test
    void truncatedHeader() throws IOException {
        byte[] whole = file(F32_2x3, f32(1, 2, 3, 4, 5, 6));
        assertRejected(Arrays.copyOf(whole, 30), "header length of " + F32_2x3.length() + " bytes, but only 22");
    }

    @Test
    void truncatedData() throws IOException {
        assertRejected(Arrays.copyOf(file(F32_2x3, f32(1, 2, 3, 4, 5, 6)), 8 + F32_2x3.length() + 20),
                "tensor \"w\"", "[0, 24]", "holds only 20 bytes", "truncated");
        // and a file from the writer, cut short
        try (Arena arena = Arena.ofConfined()) {
            Path path = temp.resolve("cut.safetensors");
            Safetensors.save(path, List.of(tensor(arena, "a", 0, 10), tensor(arena, "b", 0, 10)));
            try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
                file.setLength(file.length() - 1);
            }
            assertRejected(path, "tensor \"b\"", "[40, 80]", "holds only 79 bytes");
        }
    }

    @Test
    void zipCheckpointIsRecognised() throws IOException {
        byte[] zip = new byte[100];
        System.arraycopy(new byte[] {'P', 'K', 3, 4}, 0, zip, 0, 4);
        assertRejected(zip, "zip archive", "torch.save", "save_file");
    }

    @Test
    void headerAboveTheCapIsRejectedBeforeAnyAllocation() throws IOException {
        Path path = temp.resolve("big.safetensors");
        long length = SafetensorsFile.MAX_HEADER_BYTES + 1;
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array());
            file.setLength(8 + length + 8); // sparse: no disk used
        }
        assertRejected(path, "header length is " + length + " bytes, above the limit of 100000000");
    }

    @Test
    void badJson() throws IOException {
        assertRejected(file("", new byte[0]), "does not start with '{' (it is empty)");
        assertRejected(file("[1,2]", new byte[0]), "does not start with '{'");
        assertRejected(file("{\"w\":{\"dtype\":\"F32\",}}", new byte[0]), "not valid JSON",
                "expected a quoted key, found '}' at character 20");
        assertRejected(file("{\"w\":{\"dtype\":\"F32\"", new byte[0]), "not valid JSON", "the end of the header");
        assertRejected(file("{\"w\":{\"dtype\":\"F32", new byte[0]), "a string is not closed");
        assertRejected(file("{\"w\" 1}", new byte[0]), "expected ':'");
        assertRejected(file("{} x", new byte[0]), "unexpected 'x' after the end of the JSON value");
        assertRejected(file("{\"a\":true}", new byte[0]), "true, false and null do not occur");
        assertRejected(file("{\"a\":null}", new byte[0]), "true, false and null do not occur");
        assertRejected(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", new byte[0]),
                "integers only");
        assertRejected(file("{\"a\":{\"shape\":[1e3]}}", new byte[0]), "integers only");
        assertRejected(file("{\"a\":[01]}", new byte[0]), "leading zero");
        assertRejected(file("{\"a\":[99999999999999999999]}", new byte[0]), "does not fit in 64 bits");
        assertRejected(file("{\"a\":\"\\x\"}", new byte[0]), "unknown escape \\x");
        assertRejected(file("{\"a\":\"\\u12\"}", new byte[0]), "four hex digits");
        assertRejected(file("{\"a\":\"\\ud800\"}", new byte[0]), "surrogate");
        assertRejected(file("{\"a\":\"tab\there\"}", new byte[0]), "control character U+0009");
        assertRejected(file("{\"a\":" + "[".repeat(1000) + "]".repeat(1000) + "}", new byte[0]),
                "nested deeper than 16");
        byte[] latin1 = file("{\"caf\u00e9\":1}".replace('\u00e9', 'e'), new byte[0]);
        latin1[8 + 5] = (byte) 0xe9; // a lone Latin-1 é is not UTF-8
        assertRejected(latin1, "not valid UTF-8");
    }

    @Test
    void malformedEntries() throws IOException {
        assertRejected(file(header("\"w\":[1]"), new byte[0]), "tensor \"w\" is described by an array");
        assertRejected(file(header("\"w\":{\"dtype\":\"F32\",\"shape\":[1]}"), f32(1)),
                "tensor \"w\" has no \"data_offsets\"");
        assertRejected(file(header("\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":[]}"),
                f32(1)), "unknown field \"x\"");
        assertRejected(file(header("\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}"), f32(1)),
                "dtype the number 4, not a string");
        assertRejected(file(header("\"w\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,4]}"), f32(1)),
                "shape the string \"2\", not an array of integers");
        assertRejected(file(header("\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}"), f32(1, 2)),
                "data_offsets [0, 4, 8]; it needs exactly two");
        assertRejected(file(header("\"__metadata__\":{\"epoch\":3}"), new byte[0]),
                "\"__metadata__\" maps \"epoch\" to the number 3");
        assertRejected(file(header("\"__metadata__\":[]"), new byte[0]), "\"__metadata__\" is an array");
    }

    @Test
    void unknownDtype() throws IOException {
        SafetensorsFormatException e = assertRejected(
                file(header("\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}"), f32(1)),
                "tensor \"w\" has dtype \"Q4\"", "F32", "BF16", "I64", "tensor.float()");
        assertTrue(e.problem().startsWith("tensor \"w\""), e.problem());
    }

    @Test
    void offsetsOutOfRange() throws IOException {
        assertRejected(file(header("\"w\":{\"dtype\":\"F32\",\"shape\":[25],\"data_offsets\":[0,100]}"), f32(1, 2)),
                "data_offsets [0, 100] but the data area after the header holds only 8 bytes");
        assertRejected(file(header("\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}"), f32(1, 2)),
                "[8, 4]; they must satisfy 0 <= begin <= end");
        assertRejected(file(header("\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}"), f32(1, 2)),
                "[-4, 0]; they must satisfy 0 <= begin <= end");
    }

    @Test
    void sizeNotMatchingShape() throws IOException {
        assertRejected(file(header("\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}"),
                f32(1, 2, 3, 4, 5)), "tensor \"w\" has data_offsets [0, 20] (20 bytes) but dtype F32 and shape [2, 3]"
                + " need 24 bytes");
        assertRejected(file(header("\"w\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,4]}"), f32(1)),
                "dtype I64 and shape [] need 8 bytes");
        assertRejected(file(header("\"w\":{\"dtype\":\"F32\",\"shape\":[2147483648,2147483648],"
                + "\"data_offsets\":[0,4]}"), f32(1)), "need 2^63 or more bytes");
        assertRejected(file(header("\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],"
                + "\"data_offsets\":[0,4]}"), f32(1)), "more elements than fit in 64 bits");
    }

    @Test
    void overlappingTensors() throws IOException {
        assertRejected(file(header("\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}"), new byte[24]),
                "tensors \"a\" (bytes 0 to 16) and \"b\" (bytes 8 to 24) overlap");
        // a tensor inside another, listed first
        assertRejected(file(header("\"inner\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]},"
                + "\"outer\":{\"dtype\":\"U8\",\"shape\":[10],\"data_offsets\":[0,10]}"), new byte[10]),
                "\"outer\" (bytes 0 to 10) and \"inner\" (bytes 4 to 6) overlap");
    }

    @Test
    void duplicateNames() throws IOException {
        String entry = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        assertRejected(file("{\"w\":" + entry + ",\"b\":" + entry.replace("0,4", "4,8") + ",\"w\":"
                + entry.replace("0,4", "8,12") + "}", f32(1, 2, 3)), "duplicate key \"w\"");
        assertRejected(file("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                f32(1)), "duplicate key \"dtype\"");
    }

    @Test
    void negativeDimensions() throws IOException {
        assertRejected(file(header("\"w\":{\"dtype\":\"F32\",\"shape\":[-1,4],\"data_offsets\":[0,16]}"),
                f32(1, 2, 3, 4)), "tensor \"w\" has shape [-1, 4] with a negative dimension");
        // two negative dimensions whose product would look valid
        assertRejected(file(header("\"w\":{\"dtype\":\"F32\",\"shape\":[-2,-2],\"data_offsets\":[0,16]}"),
                f32(1, 2, 3, 4)), "negative dimension");
    }
}
