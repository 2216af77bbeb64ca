package dev.residual.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.residual.runtime.random.TorchGenerator;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Shuffling reproducible per (seed, epoch), batches copied exactly into preallocated arrays, no allocation. */
class BatchesTest {

    private static final int H = 3;
    private static final int W = 2;
    private static final int SAMPLE = H * W;

    /** {@code size} samples: sample {@code i}'s pixels are {@code (i·6 + k) mod 256}, its label {@code i mod 10}. */
    private static Dataset dataset(int size) throws IOException {
        byte[] pixels = new byte[size * SAMPLE];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) i;
        }
        int[] labels = new int[size];
        for (int i = 0; i < size; i++) {
            labels[i] = i % 10;
        }
        return Dataset.of(new IdxImages("mem", size, H, W, pixels), new IdxLabels("mem", 10, labels),
                Normalization.NONE);
    }

    /** Every sample index of one epoch, in the order the batches served them. */
    private static int[] epochOrder(Batches batches, int epoch) {
        batches.startEpoch(epoch);
        int[] seen = new int[batches.dataset().size()];
        int count = 0;
        for (int n; (n = batches.next()) > 0; ) {
            for (int j = 0; j < n; j++) {
                seen[count++] = batches.sampleIndex(j);
            }
        }
        return Arrays.copyOf(seen, count);
    }

    private static void assertPermutation(int[] order, int size) {
        assertEquals(size, order.length);
        boolean[] seen = new boolean[size];
        for (int index : order) {
            assertFalse(seen[index], "index " + index + " twice");
            seen[index] = true;
        }
    }

    @Test
    void shuffleIsReproduciblePerSeedAndEpochAndAPermutation() throws IOException {
        Dataset data = dataset(103);
        Batches batches = new Batches(data, 10, 42, true);
        int[] epoch0 = epochOrder(batches, 0);
        int[] epoch1 = epochOrder(batches, 1);
        int[] epoch7 = epochOrder(batches, 7);
        assertPermutation(epoch0, 103);
        assertPermutation(epoch1, 103);
        assertPermutation(epoch7, 103);
        assertFalse(Arrays.equals(epoch0, epoch1));
        assertFalse(Arrays.equals(epoch1, epoch7));
        int[] identity = new int[103];
        Arrays.setAll(identity, i -> i);
        assertFalse(Arrays.equals(identity, epoch0));

        // epoch 7 on its own, from a fresh instance, in any order of epochs: the same order (resuming)
        Batches fresh = new Batches(data, 10, 42, true);
        assertArrayEquals(epoch7, epochOrder(fresh, 7));
        assertArrayEquals(epoch0, epochOrder(fresh, 0));
        assertArrayEquals(epoch7, epochOrder(batches, 7));
        // independent of the batch size: the order is per (seed, epoch)
        assertArrayEquals(epoch1, epochOrder(new Batches(data, 17, 42, true), 1));
        // another seed, another order
        assertFalse(Arrays.equals(epoch0, epochOrder(new Batches(data, 10, 43, true), 0)));
        // order() is the epoch's order, as served
        batches.startEpoch(0);
        assertArrayEquals(epoch0, batches.order());
    }

    @Test
    void epochKIsTheKPlusFirstRandpermOfTheSeedsTorchGenerator() throws IOException {
        Batches batches = new Batches(dataset(50), 8, 5, true);
        batches.startEpoch(3);
        TorchGenerator random = new TorchGenerator(5);
        int[] expected = new int[50];
        for (int epoch = 0; epoch <= 3; epoch++) {
            random.permutation(expected);
        }
        assertArrayEquals(expected, batches.order());
        assertFalse(Arrays.equals(expected, epochOrder(batches, 4)));
        assertFalse(Arrays.equals(expected, epochOrder(new Batches(dataset(50), 8, 6, true), 3)));
    }

    @Test
    void withoutShuffleTheOrderIsTheDataSets() throws IOException {
        Batches batches = new Batches(dataset(25), 4, 42, false);
        int[] identity = new int[25];
        Arrays.setAll(identity, i -> i);
        assertArrayEquals(identity, epochOrder(batches, 0));
        assertArrayEquals(identity, epochOrder(batches, 5));
    }

    @Test
    void batchesHoldTheSamplesExactlyNchw() throws IOException {
        Dataset data = dataset(23);
        float[] all = data.images();
        Batches batches = new Batches(data, 5, 1, true);
        assertEquals(5, batches.batchesPerEpoch());
        float[] images = batches.images();
        int[] labels = batches.labels();
        assertEquals(5 * SAMPLE, images.length);
        assertEquals(5, labels.length);
        batches.startEpoch(0);
        int[] order = batches.order();
        int position = 0;
        int[] sizes = new int[6];
        for (int b = 0; b < 6; b++) {
            sizes[b] = batches.next();
            assertSame(images, batches.images());
            assertSame(labels, batches.labels());
            for (int j = 0; j < sizes[b]; j++) {
                int index = order[position++];
                assertEquals(index, batches.sampleIndex(j));
                assertEquals(index % 10, labels[j]);
                for (int k = 0; k < SAMPLE; k++) {
                    assertEquals(all[index * SAMPLE + k], images[j * SAMPLE + k]);
                    assertEquals(((index * SAMPLE + k) & 0xff) / 255f, images[j * SAMPLE + k]);
                }
            }
        }
        assertArrayEquals(new int[] {5, 5, 5, 5, 3, 0}, sizes);
        assertEquals(0, batches.next());
    }

    @Test
    void lastPartialBatchHasItsRealSizeAndAClearedTail() throws IOException {
        Dataset data = dataset(13);
        Batches batches = new Batches(data, 4, 0, false);
        assertEquals(4, batches.batchesPerEpoch());
        batches.startEpoch(0);
        for (int b = 0; b < 3; b++) {
            assertEquals(4, batches.next());
        }
        assertEquals(1, batches.next());
        assertEquals(12 % 10, batches.labels()[0]);
        assertEquals(12, batches.sampleIndex(0));
        for (int k = 0; k < SAMPLE; k++) {
            assertEquals(((12 * SAMPLE + k) & 0xff) / 255f, batches.images()[k]);
        }
        // slots past n: zero pixels, label -1, no sample
        for (int k = SAMPLE; k < 4 * SAMPLE; k++) {
            assertEquals(0f, batches.images()[k]);
        }
        assertArrayEquals(new int[] {2, -1, -1, -1}, batches.labels());
        assertEquals(-1, batches.sampleIndex(1));
        assertEquals(0, batches.next());
        assertEquals(4, batches.batchIndex());

        // the next epoch's full batches fill every slot again
        batches.startEpoch(1);
        assertEquals(4, batches.next());
        assertArrayEquals(new int[] {0, 1, 2, 3}, batches.labels());
    }

    @Test
    void dropLastSkipsThePartialBatch() throws IOException {
        Batches batches = new Batches(dataset(13), 4, 0, true, true);
        assertEquals(3, batches.batchesPerEpoch());
        batches.startEpoch(0);
        assertEquals(4, batches.next());
        assertEquals(4, batches.next());
        assertEquals(4, batches.next());
        assertEquals(0, batches.next());
        assertEquals(3, new Batches(dataset(12), 4, 0, true, true).batchesPerEpoch());
        assertEquals(3, new Batches(dataset(12), 4, 0, true, false).batchesPerEpoch());
        Batches tooBig = new Batches(dataset(3), 4, 0, true, true);
        assertEquals(0, tooBig.batchesPerEpoch());
        tooBig.startEpoch(0);
        assertEquals(0, tooBig.next());
        Batches oneSmall = new Batches(dataset(3), 4, 0, true);
        assertEquals(1, oneSmall.batchesPerEpoch());
        oneSmall.startEpoch(0);
        assertEquals(3, oneSmall.next());
        assertEquals(-1, oneSmall.labels()[3]);
    }

    @Test
    void resumingMidEpochGivesTheSameBatches() throws IOException {
        Dataset data = dataset(40);
        Batches uninterrupted = new Batches(data, 6, 11, true);
        uninterrupted.startEpoch(4);
        for (int b = 0; b < 3; b++) {
            uninterrupted.next();
        }
        Batches resumed = new Batches(data, 6, 11, true);
        resumed.startEpoch(4, 3);
        assertEquals(3, resumed.batchIndex());
        for (int n; (n = uninterrupted.next()) > 0; ) {
            assertEquals(n, resumed.next());
            assertArrayEquals(uninterrupted.images(), resumed.images());
            assertArrayEquals(uninterrupted.labels(), resumed.labels());
        }
        assertEquals(0, resumed.next());
        resumed.startEpoch(0, resumed.batchesPerEpoch());
        assertEquals(0, resumed.next());
    }

    @Test
    void argumentsAndStateAreChecked() throws IOException {
        Dataset data = dataset(10);
        assertThrows(IllegalArgumentException.class, () -> new Batches(data, 0, 1, true));
        Batches batches = new Batches(data, 3, 1, true);
        assertEquals(-1, batches.epoch());
        IllegalStateException e = assertThrows(IllegalStateException.class, batches::next);
        assertEquals("no epoch started: call startEpoch(epoch) before next()", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> batches.startEpoch(-1));
        assertThrows(IllegalArgumentException.class, () -> batches.startEpoch(0, 5));
        batches.startEpoch(2);
        assertEquals(2, batches.epoch());
    }

    @Test
    void anOrderThatIsNotAPermutationIsRejectedBeforeItsFirstBatch() throws IOException {
        Dataset data = dataset(6);
        Batches batches = new Batches(data, 4, (epoch, order) -> {
            Arrays.setAll(order, i -> i);
            order[5] = epoch == 0 ? 5 : 2; // epoch 1 gives sample 2 twice
        }, false);
        batches.startEpoch(0);
        assertEquals(4, batches.next());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> batches.startEpoch(1));
        assertEquals("epoch 1's order is not a permutation of the 6 samples: position 5 holds 2, already seen; an "
                + "EpochOrder must give each sample index exactly once", e.getMessage());
        assertThrows(IllegalStateException.class, batches::next, "no batch from the broken order");
        Batches outOfRange = new Batches(data, 4, (epoch, order) -> Arrays.fill(order, 6), false);
        assertThrows(IllegalArgumentException.class, () -> outOfRange.startEpoch(0));
    }

    @Test
    void nextAllocatesNothingAfterWarmUp() throws IOException {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "no allocation counter on this JVM");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "no allocation counter on this JVM");
        threads.setThreadAllocatedMemoryEnabled(true);

        Dataset data = dataset(1000); // 1000 / 64: 15 full batches and a partial one of 40
        Batches batches = new Batches(data, 64, 3, true);
        long samples = 0;
        for (int epoch = 0; epoch < 200; epoch++) { // warm-up: let the JIT compile next()
            batches.startEpoch(epoch);
            for (int n; (n = batches.next()) > 0; ) {
                samples += n;
            }
        }
        assertEquals(200_000, samples);

        long overhead = threads.getCurrentThreadAllocatedBytes();
        overhead = threads.getCurrentThreadAllocatedBytes() - overhead;
        batches.startEpoch(200);
        int total = 0;
        int calls = 0;
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int n; (n = batches.next()) > 0; ) {
            total += n;
            calls++;
        }
        calls++; // the call that returned 0
        long allocated = threads.getCurrentThreadAllocatedBytes() - before - overhead;
        assertEquals(1000, total);
        assertEquals(17, calls);
        assertEquals(0, allocated, "bytes allocated by " + calls + " calls of next()");
    }
}
