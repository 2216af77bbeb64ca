package dev.residual.runtime.data;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.LongFunction;
import java.util.random.RandomGenerator;

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
 * <p>Order: with shuffling, epoch {@code k} visits the samples in a permutation drawn from a generator seeded with
 * {@link #epochSeed(long, int) epochSeed(seed, k)} (a {@link SplittableRandom} unless another generator is given). It
 * depends on {@code (seed, k)} only, not on the epochs before, so a run resumed at epoch {@code k} (even mid-epoch,
 * with {@link #startEpoch(int, int)}) sees the same batches as one that never stopped. Without shuffling the order is
 * the data set's.
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
    private final long seed;
    private final boolean shuffle;
    private final boolean dropLast;
    private final LongFunction<? extends RandomGenerator> generator;
    private final int sampleSize;
    private final int[] sourceLabels;
    private final int[] order;
    private final float[] images;
    private final int[] labels;
    private final int[] indices;
    private int epoch = -1;
    private int cursor;
    private int batch;
    /** Slots holding samples; those past it hold zeros and -1. */
    private int filled;

    /** Batches that keep a partial last batch, shuffled with {@link SplittableRandom} when {@code shuffle}. */
    public Batches(Dataset data, int batchSize, long seed, boolean shuffle) {
        this(data, batchSize, seed, shuffle, false);
    }

    /** Batches shuffled with {@link SplittableRandom} when {@code shuffle}; {@code dropLast} skips a partial batch. */
    public Batches(Dataset data, int batchSize, long seed, boolean shuffle, boolean dropLast) {
        this(data, batchSize, seed, shuffle, dropLast, SplittableRandom::new);
    }

    /**
     * Batches shuffled with the generator {@code generator} makes from {@link #epochSeed(long, int)} at each epoch's
     * start, e.g. {@code RandomGeneratorFactory.of("L64X128MixRandom")::create}. It must be deterministic: the same
     * seed must give the same sequence.
     */
    public Batches(Dataset data, int batchSize, long seed, boolean shuffle, boolean dropLast,
            LongFunction<? extends RandomGenerator> generator) {
        this.data = Objects.requireNonNull(data, "data");
        this.generator = Objects.requireNonNull(generator, "generator");
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
        this.seed = seed;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.sourceLabels = data.rawLabels();
        this.order = new int[data.size()];
        this.images = new float[(int) floats];
        this.labels = new int[batchSize];
        this.indices = new int[batchSize];
        Arrays.fill(labels, -1);
        Arrays.fill(indices, -1);
    }

    /**
     * The seed of epoch {@code epoch}'s generator: {@code seed} and {@code epoch} mixed (SplitMix64's finalizer), so
     * neighbouring epochs and seeds give unrelated streams.
     */
    public static long epochSeed(long seed, int epoch) {
        return mix(mix(seed) ^ mix(0x9E3779B97F4A7C15L * (epoch + 1L)));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
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
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (shuffle) {
            RandomGenerator random = generator.apply(epochSeed(seed, epoch));
            for (int i = order.length - 1; i > 0; i--) { // Fisher-Yates
                int j = random.nextInt(i + 1);
                int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
        }
        this.epoch = epoch;
        this.batch = firstBatch;
        this.cursor = (int) Math.min((long) firstBatch * batchSize, order.length);
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

    public boolean shuffles() {
        return shuffle;
    }

    public boolean dropsLast() {
        return dropLast;
    }
}
