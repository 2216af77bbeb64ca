package dev.residual.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Orders written and read back; files of the wrong size or with a broken permutation are errors that say where. */
class OrderFileTest {

    @TempDir
    Path dir;

    private static int[] order(EpochOrder source, int epoch, int samples) {
        int[] order = new int[samples];
        source.fill(epoch, order);
        return order;
    }

    /** A file of little-endian int64 indices, as NumPy's tofile writes torch.randperm's. */
    private Path file(long... indices) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(indices.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (long index : indices) {
            bytes.putLong(index);
        }
        return Files.write(dir.resolve("order.bin"), bytes.array());
    }

    @Test
    void writtenOrdersReadBackEpochByEpoch() throws IOException {
        EpochOrder shuffled = EpochOrder.shuffled(7);
        Path path = dir.resolve("ours.bin");
        OrderFile.write(path, shuffled, 3, 100);
        assertEquals(3 * 100 * 8, Files.size(path));
        OrderFile read = OrderFile.read(path, 100);
        assertEquals(3, read.epochs());
        for (int epoch = 0; epoch < 3; epoch++) {
            assertArrayEquals(order(shuffled, epoch, 100), order(read, epoch, 100));
        }
    }

    @Test
    void readsLittleEndianInt64AndBatchesFollowIt() throws IOException {
        OrderFile read = OrderFile.read(file(2, 0, 1, 1, 2, 0), 3);
        assertEquals(2, read.epochs());
        assertArrayEquals(new int[] {2, 0, 1}, order(read, 0, 3));
        assertArrayEquals(new int[] {1, 2, 0}, order(read, 1, 3));
    }

    @Test
    void aFileOfTheWrongSizeSaysWhatItExpected() throws IOException {
        IOException e = assertThrows(IOException.class, () -> OrderFile.read(file(0, 1, 2, 3), 3));
        assertTrue(e.getMessage().endsWith("order.bin: 32 bytes is not a whole number of epochs of 3 indices (24 bytes "
                + "each, little-endian int64): was it written for a data set of 3 samples?"), e.getMessage());
        assertThrows(IOException.class, () -> OrderFile.read(file(), 3), "an empty file");
    }

    @Test
    void anEpochThatIsNotAPermutationIsNamed() throws IOException {
        IOException twice = assertThrows(IOException.class, () -> OrderFile.read(file(0, 1, 2, 0, 1, 1), 3));
        assertTrue(twice.getMessage().endsWith("epoch 1 is not a permutation of 0..2: its position 2 holds 1, a second "
                + "time"), twice.getMessage());
        IOException outside = assertThrows(IOException.class, () -> OrderFile.read(file(0, 3, 1), 3));
        assertTrue(outside.getMessage().endsWith("holds 3, out of range"), outside.getMessage());
        IOException big = assertThrows(IOException.class, () -> OrderFile.read(file(0, 1L << 32, 1), 3));
        assertTrue(big.getMessage().endsWith("holds 4294967296, out of range"), big.getMessage());
    }

    @Test
    void aMissingFileSaysWhatToGive() {
        DataFileNotFoundException e = assertThrows(DataFileNotFoundException.class,
                () -> OrderFile.read(dir.resolve("none.bin"), 3));
        assertTrue(e.getMessage().contains("order file"), e.getMessage());
    }

    @Test
    void anEpochPastTheFileOrADataSetOfAnotherSizeIsRefused() throws IOException {
        OrderFile read = OrderFile.read(file(2, 0, 1), 3);
        IllegalArgumentException past = assertThrows(IllegalArgumentException.class, () -> order(read, 1, 3));
        assertTrue(past.getMessage().endsWith("holds orders for 1 epochs; epoch 1 (counting from 0) has none: write "
                + "one permutation per epoch of the run"), past.getMessage());
        assertThrows(IllegalArgumentException.class, () -> order(read, 0, 4));
    }
}
