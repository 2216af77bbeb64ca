package dev.residual.runtime.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** How {@link Workers} splits a call: every row once, on which threads, and when it keeps a call on the caller. */
class WorkersTest {

    /** Records which thread ran each row and how often; optionally fails on one row or needs a segment. */
    private static final class Recorder extends ChannelRange {
        final int[] runs;
        final Thread[] ranBy;
        final Set<Thread> threads = ConcurrentHashMap.newKeySet();
        int failingRow = -1;
        MemorySegment needed;

        Recorder(int items) {
            runs = new int[items];
            ranBy = new Thread[items];
        }

        @Override
        void run(int from, int to) {
            threads.add(Thread.currentThread());
            for (int i = from; i < to; i++) {
                if (i == failingRow) {
                    throw new IllegalStateException("row " + i + " failed");
                }
                runs[i]++;
                ranBy[i] = Thread.currentThread();
            }
        }

        @Override
        boolean accessibleBy(Thread thread) {
            return accessible(thread, needed, null, null, null);
        }

        @Override
        void clear() {
            needed = null;
        }
    }

    private static final long BIG = Workers.MIN_FLOATS_PER_PART * 4;

    @Test
    void aLargeCallRunsEveryRowOnceOverTwoThreads() {
        Workers workers = new Workers(2);
        Recorder task = new Recorder(11);
        long splitBefore = workers.splitCalls();
        workers.run(task, 11, BIG);
        int[] once = new int[11];
        Arrays.fill(once, 1);
        assertEquals(Arrays.toString(once), Arrays.toString(task.runs));
        assertEquals(2, task.threads.size(), "threads that ran parts");
        assertSame(Thread.currentThread(), task.ranBy[0], "the caller runs the first part");
        assertTrue(task.ranBy[10].getName().startsWith("residual-ops-"), task.ranBy[10].getName());
        assertEquals(splitBefore + 1, workers.splitCalls());
    }

    @Test
    void oneThreadKeepsEveryCallOnTheCaller() {
        Recorder task = new Recorder(8);
        new Workers(1).run(task, 8, BIG);
        assertEquals(Set.of(Thread.currentThread()), task.threads);
    }

    @Test
    void aSmallCallStaysOnTheCaller() {
        Workers workers = new Workers(2);
        assertEquals(1, workers.partsFor(64, 100), "64 rows of 100 floats");
        assertEquals(2, workers.partsFor(64, BIG));
        assertEquals(1, workers.partsFor(1, BIG), "one row cannot be split");
        Recorder task = new Recorder(64);
        workers.run(task, 64, 100);
        assertEquals(Set.of(Thread.currentThread()), task.threads);
    }

    @Test
    void memoryConfinedToTheCallerStaysOnTheCaller() {
        try (Arena arena = Arena.ofConfined()) {
            Recorder task = new Recorder(8);
            task.needed = arena.allocate(16);
            new Workers(2).run(task, 8, BIG);
            assertEquals(Set.of(Thread.currentThread()), task.threads);
        }
    }

    @Test
    void aWorkersExceptionReachesTheCallerAndThePoolStillWorks() {
        Workers workers = new Workers(2);
        Recorder failing = new Recorder(10);
        failing.failingRow = 9; // in the worker's half
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> workers.run(failing, 10, BIG));
        assertEquals("row 9 failed", thrown.getMessage());
        Recorder next = new Recorder(10);
        workers.run(next, 10, BIG);
        assertEquals(2, next.threads.size());
    }

    @Test
    void threadCountsOutOfRangeAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Workers(0));
        assertThrows(IllegalArgumentException.class, () -> new Workers(1).setThreads(100_000));
    }
}
