package dev.residual.runtime.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** How {@link Workers} splits a call: every row once, on which threads, and when it keeps a call on the caller. */
class WorkersTest {

    /**
     * Records which thread ran each row and how often, and the ranges it was handed; optionally needs a segment, makes
     * each thread's first range wait until two threads have started one, or fails the first range a worker runs.
     */
    private static final class Recorder extends ChannelRange {
        final int[] runs;
        final Thread[] ranBy;
        final Set<Thread> threads = ConcurrentHashMap.newKeySet();
        final Set<String> ranges = ConcurrentHashMap.newKeySet();
        final Thread caller = Thread.currentThread();
        MemorySegment needed;
        /** Whether a thread's first range waits (up to 10 s) for a second thread: so that both surely take one. */
        boolean meet;
        boolean failOnWorker;
        final AtomicBoolean failed = new AtomicBoolean();

        Recorder(int items) {
            runs = new int[items];
            ranBy = new Thread[items];
        }

        @Override
        void run(int from, int to) {
            Thread current = Thread.currentThread();
            ranges.add(from + "-" + to);
            if (threads.add(current) && meet) {
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (threads.size() < 2 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
            }
            if (failOnWorker && current != caller && failed.compareAndSet(false, true)) {
                throw new IllegalStateException("rows " + from + "-" + to + " failed on " + current.getName());
            }
            for (int i = from; i < to; i++) {
                runs[i]++;
                ranBy[i] = current;
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
    void aLargeCallRunsEveryRowOnceInFixedRangesOverTwoThreads() {
        Workers workers = new Workers(2);
        Recorder task = new Recorder(11);
        task.meet = true;
        long splitBefore = workers.splitCalls();
        workers.run(task, 11, BIG);
        int[] once = new int[11];
        Arrays.fill(once, 1);
        assertEquals(Arrays.toString(once), Arrays.toString(task.runs));
        assertEquals(2, task.threads.size(), "threads that ran ranges");
        assertTrue(Arrays.stream(task.ranBy).anyMatch(thread -> thread.getName().startsWith("residual-ops-")),
                "a worker ran rows");
        // 2 threads × PIECES_PER_THREAD ranges, fixed by the row and thread counts, whoever runs them
        assertEquals(Set.of("0-1", "1-2", "2-4", "4-5", "5-6", "6-8", "8-9", "9-11"), task.ranges);
        assertEquals(splitBefore + 1, workers.splitCalls());
    }

    @Test
    void fewerRowsThanRangesGiveOneRowARange() {
        Workers workers = new Workers(2);
        Recorder task = new Recorder(3);
        workers.run(task, 3, BIG);
        assertEquals(Set.of("0-1", "1-2", "2-3"), task.ranges);
        assertEquals("[1, 1, 1]", Arrays.toString(task.runs));
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
        assertEquals(1, workers.threadsFor(64, 100), "64 rows of 100 floats");
        assertEquals(2, workers.threadsFor(64, BIG));
        assertEquals(1, workers.threadsFor(1, BIG), "one row cannot be split");
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
        failing.meet = true;
        failing.failOnWorker = true;
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> workers.run(failing, 10, BIG));
        assertTrue(thrown.getMessage().contains("failed on residual-ops-"), thrown.getMessage());
        long ranOnce = Arrays.stream(failing.runs).filter(count -> count == 1).count();
        assertTrue(ranOnce >= 7 && ranOnce < 10 && Arrays.stream(failing.runs).allMatch(count -> count <= 1),
                "every other range still ran, once: " + Arrays.toString(failing.runs));
        Recorder next = new Recorder(10);
        next.meet = true;
        workers.run(next, 10, BIG);
        assertEquals(2, next.threads.size());
        assertEquals("[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]", Arrays.toString(next.runs));
    }

    @Test
    void threadCountsOutOfRangeAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Workers(0));
        assertThrows(IllegalArgumentException.class, () -> new Workers(1).setThreads(100_000));
    }
}
