package dev.residual.runtime.parallel;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Daemon threads that run parts 1.. of a call while the caller runs part 0: the Java GEMM's and the element-wise
 * kernels' way to use several cores without allocating per call.
 *
 * <p>Worker {@code w} always runs part {@code w}, so a caller may keep per-part buffers. Workers are started on first
 * need, park between calls (they never spin, so they leave idle cores to other pools) and are handed work by a
 * per-worker ticket: the caller writes the call, then the ticket, and the worker reads the ticket, then the call.
 * The caller spins briefly, then parks, until every part is done; a part's exception is rethrown to the caller once
 * all parts have finished. One call at a time: the caller must not start another before {@link #run} returns.
 *
 * <p>The pool holds no reference to its owner, so an owner can become unreachable and a {@code Cleaner} call
 * {@link #close}.
 */
public final class PartPool {

    /** Spins before parking while waiting for workers, which usually finish within microseconds of the caller. */
    private static final int SPINS = 2_000;
    private static final AtomicInteger NAMES = new AtomicInteger();

    private final String namePrefix;
    private Worker[] workers = new Worker[0];
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Thread caller;
    private volatile Throwable failure;
    /** The current call, written by the caller before it hands out tickets. */
    private Parts job;

    /** A pool whose threads are named {@code namePrefix} and a number. */
    public PartPool(String namePrefix) {
        this.namePrefix = namePrefix;
    }

    /**
     * Starts workers so that a call of {@code parts} parts can run, and returns the first worker: a caller checks
     * with it that the workers may touch its memory (a confined arena's may not leave its owner thread).
     */
    public synchronized Thread prepare(int parts) {
        int count = parts - 1;
        if (workers.length < count) {
            Worker[] grown = Arrays.copyOf(workers, count);
            for (int w = workers.length; w < count; w++) {
                grown[w] = new Worker(this, w + 1, namePrefix + NAMES.incrementAndGet());
                grown[w].start();
            }
            workers = grown;
        }
        return workers[0];
    }

    /** Runs parts {@code 0 .. parts−1} of {@code job}, part 0 on the caller, after {@link #prepare}{@code (parts)}. */
    public void run(Parts job, int parts) {
        this.job = job;
        failure = null;
        caller = Thread.currentThread();
        pending.set(parts - 1);
        Worker[] started = workers;
        for (int w = 0; w < parts - 1; w++) {
            started[w].hand();
        }
        try {
            job.runPart(0);
        } finally {
            awaitWorkers(); // the workers still use the caller's memory
            this.job = null;
        }
        Throwable failed = failure;
        if (failed != null) {
            failure = null;
            rethrow(failed);
        }
    }

    /** Throws a part's failure on the caller: as it is when unchecked, wrapped otherwise. */
    static void rethrow(Throwable failed) {
        if (failed instanceof RuntimeException e) {
            throw e;
        }
        if (failed instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("a part failed", failed);
    }

    private void awaitWorkers() {
        awaitZero(pending, this);
    }

    /**
     * Waits, on the caller, until {@code count} is 0: spins {@value #SPINS} times, then parks ({@code blocker} names
     * the wait in thread dumps) until the thread that brings it to 0 unparks the caller.
     */
    static void awaitZero(AtomicInteger count, Object blocker) {
        int spins = SPINS;
        while (count.get() != 0) {
            if (spins > 0) {
                spins--;
                Thread.onSpinWait();
            } else {
                LockSupport.park(blocker);
            }
        }
    }

    /** Stops the workers beyond the first {@code count}. */
    public synchronized void trim(int count) {
        if (workers.length > count) {
            for (int w = count; w < workers.length; w++) {
                workers[w].retire();
            }
            workers = Arrays.copyOf(workers, count);
        }
    }

    /** Stops every worker. */
    public synchronized void close() {
        trim(0);
    }

    private void finished(Throwable thrown) {
        if (thrown != null) {
            failure = thrown;
        }
        if (pending.decrementAndGet() == 0) {
            LockSupport.unpark(caller);
        }
    }

    /** A daemon thread that runs its part of a call each time it is handed a ticket. */
    private static final class Worker extends Thread {
        private final PartPool pool;
        private final int part;
        /** Written by the caller after the call, read here before it: the hand-over. */
        private volatile int ticket;
        private volatile boolean stopped;
        private int served;

        Worker(PartPool pool, int part, String name) {
            super(name);
            this.pool = pool;
            this.part = part;
            setDaemon(true);
        }

        void hand() {
            ticket = ticket + 1; // only the caller writes ticket, and never while this worker is busy
            LockSupport.unpark(this);
        }

        void retire() {
            stopped = true;
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            while (!stopped) {
                int current = ticket;
                if (current == served) {
                    Thread.interrupted(); // nobody should interrupt a worker, but a set flag would make park spin
                    LockSupport.park(this);
                    continue;
                }
                Throwable thrown = null;
                try {
                    pool.job.runPart(part);
                } catch (Throwable t) {
                    thrown = t;
                }
                served = current;
                pool.finished(thrown);
            }
        }
    }
}
