package dev.residual.runtime.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * Serves a {@link Dataset} in batches, epoch after epoch, with no allocation per batch: every batch is copied into
 * the same preallocated arrays, {@link #images()} ({@code batchSize · C · H · W} floats, NCHW) and {@link #labels()}
 * ({@code batchSize} ints).
 *
 * <pre>{@code
 * Batches batches = new Batches(train, 128, seed, true);
 * for (int epoch = 0; epoch < epochs; epoch++) {
 *     batches.startEpoch(epoch);
 *     for (int n; (n = batches.next()) > 0; ) {
 *         model.trainStep(batches.images(), batches.labels(), n);
 *     }
 * }
 * }</pre>
 *
 * <p>Order: epoch {@code k} visits the samples in the permutation an {@link EpochOrder} gives for {@code k}: with
 * shuffling a seeded one ({@link EpochOrder#shuffled(long)}), without it the data set's own. It depends on {@code k}
 * only, not on the epochs before, so a run resumed at epoch {@code k} (even mid-epoch, with
 * {@link #startEpoch(int, int)}) sees the same batches as one that never stopped. Every order is checked to be a
 * permutation before its first batch.
 *
 * <p>The last batch of an epoch may be partial: {@link #next()} returns its real size {@code n < batchSize}, and the
 * slots past {@code n} hold zero pixels and label {@code -1}, so that they cannot be mistaken for samples. With
 * {@code dropLast} a partial last batch is skipped instead.
 *
 * <p>Not thread-safe: one {@code Batches} per training loop.
 */
public final class Batches {

    private final Dataset data;
    private final int batchSize;
    private final EpochOrder epochOrder;
    private final boolean dropLast;
    private final int sampleSize;
    private final int[] sourceLabels;
    private final int[] order;
    private final float[] images;
    private final int[] labels;
    private final int[] indices;
    /** One bit per sample, to check that each epoch's order is a permutation without allocating. */
    private final long[] seen;
    private int epoch = -1;
    private int cursor;
    private int batch;
    /** Slots holding samples; those past it hold zeros and -1. */
    private int filled;

    /** Batches that keep a partial last batch, shuffled ({@link EpochOrder#shuffled(long)}) when {@code shuffle}. */
    public Batches(Dataset data, int batchSize, long seed, boolean shuffle) {
        this(data, batchSize, seed, shuffle, false);
    }

    /**
     * Batches shuffled with {@link EpochOrder#shuffled(long)} when {@code shuffle}; {@code dropLast} skips a partial
     * last batch.
     */
    public Batches(Dataset data, int batchSize, long seed, boolean shuffle, boolean dropLast) {
        this(data, batchSize, shuffle ? EpochOrder.shuffled(seed) : EpochOrder.sequential(), dropLast);
    }

    /** Batches in the orders {@code epochOrder} gives; {@code dropLast} skips a partial last batch. */
    public Batches(Dataset data, int batchSize, EpochOrder epochOrder, boolean dropLast) {
        this.data = Objects.requireNonNull(data, "data");
        this.epochOrder = Objects.requireNonNull(epochOrder, "epochOrder");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize is " + batchSize + "; it must be 1 or more");
        }
        this.sampleSize = data.channels() * data.height() * data.width();
        long floats = (long) batchSize * sampleSize;
        if (floats > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a batch of " + batchSize + " samples of " + sampleSize + " floats is "
                    + floats + " floats, more than one Java array holds");
        }
        this.batchSize = batchSize;
        this.dropLast = dropLast;
        this.sourceLabels = data.rawLabels();
        this.order = new int[data.size()];
        this.seen = Permutation.seenSet(data.size());
        this.images = new float[(int) floats];
        this.labels = new int[batchSize];
        this.indices = new int[batchSize];
        Arrays.fill(labels, -1);
        Arrays.fill(indices, -1);
    }

    /** Starts epoch {@code epoch} (0 or more) from its first batch: draws its order. */
    public void startEpoch(int epoch) {
        startEpoch(epoch, 0);
    }

    /**
     * Starts epoch {@code epoch} at batch {@code firstBatch} (0 to {@link #batchesPerEpoch()}), to resume a run
     * stopped mid-epoch: the next {@link #next()} returns the batch an uninterrupted run returned there.
     */
    public void startEpoch(int epoch, int firstBatch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch is " + epoch + "; it must be 0 or more");
        }
        if (firstBatch < 0 || firstBatch > batchesPerEpoch()) {
            throw new IllegalArgumentException("firstBatch is " + firstBatch + "; an epoch has "
                    + batchesPerEpoch() + " batches");
        }
        this.epoch = -1; // until the new order is in place and checked: no batch from a half-written one
        epochOrder.fill(epoch, order);
        checkPermutation(epoch);
        this.epoch = epoch;
        this.batch = firstBatch;
        this.cursor = (int) Math.min((long) firstBatch * batchSize, order.length);
    }

    private void checkPermutation(int epoch) {
        int i = Permutation.firstBreak(order, 0, order.length, seen);
        if (i >= 0) {
            int index = order[i];
            throw new IllegalArgumentException("epoch " + epoch + "'s order is not a permutation of the "
                    + order.length + " samples: position " + i + " holds " + index
                    + (index < 0 || index >= order.length ? ", out of range" : ", already seen")
                    + "; an EpochOrder must give each sample index exactly once");
        }
    }

    /**
     * Copies the next batch into {@link #images()} and {@link #labels()}, allocating nothing.
     *
     * @return how many samples it holds: {@code batchSize}, fewer for a partial last batch, 0 at the epoch's end
     *         (the arrays then keep the last batch)
     * @throws IllegalStateException before the first {@link #startEpoch(int)}
     */
    public int next() {
        if (epoch < 0) {
            throw new IllegalStateException("no epoch started: call startEpoch(epoch) before next()");
        }
        int n = Math.min(batchSize, order.length - cursor);
        if (n <= 0 || (dropLast && n < batchSize)) {
            return 0;
        }
        for (int j = 0; j < n; j++) {
            int index = order[cursor + j];
            data.copySample(index, images, j * sampleSize);
            labels[j] = sourceLabels[index];
            indices[j] = index;
        }
        if (n < filled) {
            clear(n);
        }
        filled = n;
        cursor += n;
        batch++;
        return n;
    }

    /** Zero pixels, label -1 and index -1 in slots {@code from} to {@code filled}. */
    private void clear(int from) {
        Arrays.fill(images, from * sampleSize, filled * sampleSize, 0f);
        Arrays.fill(labels, from, filled, -1);
        Arrays.fill(indices, from, filled, -1);
    }

    /**
     * The current batch's normalized pixels, NCHW: sample {@code j}'s at {@code j · C · H · W}. Always the same array
     * ({@code batchSize · C · H · W} floats), rewritten by each {@link #next()}.
     */
    public float[] images() {
        return images;
    }

    /** The current batch's labels: always the same array ({@code batchSize} ints), rewritten by each next(). */
    public int[] labels() {
        return labels;
    }

    /** The data set index of slot {@code j} of the current batch ({@code -1} past its size). */
    public int sampleIndex(int j) {
        return indices[Objects.checkIndex(j, batchSize)];
    }

    /** The current epoch's order of data set indices (a copy). */
    public int[] order() {
        return order.clone();
    }

    /** Batches per epoch: {@code ⌈size / batchSize⌉}, or {@code ⌊size / batchSize⌋} with dropLast. */
    public int batchesPerEpoch() {
        int size = data.size();
        return dropLast ? size / batchSize : (int) ((size + (long) batchSize - 1) / batchSize);
    }

    public int batchSize() {
        return batchSize;
    }

    /** The epoch started last; -1 before any. */
    public int epoch() {
        return epoch;
    }

    /** Batches returned so far in this epoch (counting those skipped by {@link #startEpoch(int, int)}). */
    public int batchIndex() {
        return batch;
    }

    public Dataset dataset() {
        return data;
    }

    public boolean dropsLast() {
        return dropLast;
    }
}
