package dev.residual.runtime.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Epoch orders kept in a file, to train on exactly the batches another program drew: PyTorch's {@code randperm}s, say,
 * so that the two frameworks can be compared on the same data order, or ours handed to PyTorch.
 *
 * <p>Format: one permutation of the sample indices {@code 0 … n-1} per epoch, epoch after epoch, each index a
 * little-endian 64-bit integer (what {@code torch.randperm} returns, written with NumPy's
 * {@code order.numpy().astype("<i8").tofile(f)}). No header: the file's size must be a whole number of epochs of
 * {@code n} indices, and each epoch is checked to be a permutation when the file is read.
 */
public final class OrderFile implements EpochOrder {

    private static final int BYTES_PER_INDEX = Long.BYTES;

    private final Path file;
    private final int samples;
    private final int[] orders;

    private OrderFile(Path file, int samples, int[] orders) {
        this.file = file;
        this.samples = samples;
        this.orders = orders;
    }

    /**
     * Reads the orders in {@code file} for a data set of {@code samples} samples.
     *
     * @throws DataFileNotFoundException when there is no such file
     * @throws IOException when its size is not a whole number of epochs or an epoch is not a permutation; the message
     *                     says which and where
     */
    public static OrderFile read(Path file, int samples) throws IOException {
        if (samples < 1) {
            throw new IllegalArgumentException("samples is " + samples + "; it must be 1 or more");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new DataFileNotFoundException(file.toString(),
                    "Give the path of an order file (one permutation of the training set per epoch).");
        }
        long epochBytes = (long) samples * BYTES_PER_INDEX;
        if (bytes.length == 0 || bytes.length % epochBytes != 0) {
            throw new IOException(file + ": " + bytes.length + " bytes is not a whole number of epochs of " + samples
                    + " indices (" + epochBytes + " bytes each, little-endian int64): was it written for a data set of "
                    + samples + " samples?");
        }
        LongBuffer indices = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
        int[] orders = new int[indices.remaining()];
        for (int at = 0; at < orders.length; at++) {
            long index = indices.get(at);
            orders[at] = index < 0 || index >= samples ? -1 : (int) index; // -1: out of range, as the check sees it
        }
        long[] seen = Permutation.seenSet(samples);
        for (int epoch = 0; epoch < orders.length / samples; epoch++) {
            int i = Permutation.firstBreak(orders, epoch * samples, samples, seen);
            if (i >= 0) {
                long index = indices.get(epoch * samples + i);
                throw new IOException(file + ": epoch " + epoch + " is not a permutation of 0.." + (samples - 1)
                        + ": its position " + i + " holds " + index
                        + (index < 0 || index >= samples ? ", out of range" : ", a second time"));
            }
        }
        return new OrderFile(file, samples, orders);
    }

    /**
     * Writes the first {@code epochs} orders {@code order} gives for a data set of {@code samples} samples to
     * {@code file}, in the format {@link #read} reads.
     */
    public static void write(Path file, EpochOrder order, int epochs, int samples) throws IOException {
        Objects.requireNonNull(order, "order");
        if (epochs < 1 || samples < 1 || (long) epochs * samples * BYTES_PER_INDEX > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(epochs + " epochs of " + samples + " samples: both must be 1 or more "
                    + "and the file under 2 GiB");
        }
        ByteBuffer bytes = ByteBuffer.allocate(epochs * samples * BYTES_PER_INDEX).order(ByteOrder.LITTLE_ENDIAN);
        int[] one = new int[samples];
        for (int epoch = 0; epoch < epochs; epoch++) {
            order.fill(epoch, one);
            for (int index : one) {
                bytes.putLong(index);
            }
        }
        Files.write(file, bytes.array());
    }

    /** How many epochs the file orders. */
    public int epochs() {
        return orders.length / samples;
    }

    /** @throws IllegalArgumentException for an epoch past the file's last, or a data set of another size */
    @Override
    public void fill(int epoch, int[] order) {
        if (order.length != samples) {
            throw new IllegalArgumentException(file + " orders " + samples + " samples; this data set has "
                    + order.length);
        }
        if (epoch < 0 || epoch >= epochs()) {
            throw new IllegalArgumentException(file + " holds orders for " + epochs() + " epochs; epoch " + epoch
                    + " (counting from 0) has none: write one permutation per epoch of the run");
        }
        System.arraycopy(orders, epoch * samples, order, 0, samples);
    }
}
