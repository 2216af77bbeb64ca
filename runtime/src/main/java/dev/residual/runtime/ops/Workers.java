package dev.residual.runtime.ops;

import dev.residual.runtime.gemm.Backends;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads that run the element-wise kernels (normalization, activations, adds, im2col) over channels.
 *
 * <p><b>Who owns parallelism.</b> One setting, {@value Backends#THREADS_PROPERTY} ({@link Backends#threads()}), is
 * the number of threads one model step uses. A step is a sequence of kernels and matrix products, each run to the end
 * before the next starts, so the GEMM backend's threads and these take turns and never compete: the GEMM uses its
 * threads during a product, then these split the next element-wise kernel. OpenBLAS's own idle threads are told to
 * sleep at once instead of spinning (see {@code OpenBlasGemm}), so they leave the cores to these.
 *
 * <p><b>When a call is split.</b> Only when every part gets at least {@link #MIN_FLOATS_PER_PART} floats of work:
 * waking a parked thread costs tens of microseconds, more than a small kernel's whole run, so a batch-1 inference runs
 * every kernel on the caller. When another thread is already using the pool (two models stepping at once), a call runs
 * on its caller alone rather than waiting. Parts are fixed ranges of channels, and each channel is computed exactly
 * as on one thread, so the results do not depend on the thread count.
 *
 * <p><b>No allocation.</b> Workers are daemon threads named {@code residual-ops-N}, started on first need; they park
 * between calls and are handed work by a ticket, so neither the caller nor a worker allocates per call.
 */
public final class Workers {

    /**
     * The least work, in floats read or written per part, worth another thread: 32K floats take the caller about
     * 10–30 µs, about what waking a parked thread costs.
     */
    static final long MIN_FLOATS_PER_PART = 1L << 15;
    /** Spins before parking while waiting for workers, which usually finish within microseconds of the caller. */
    private static final int SPINS = 2_000;
    private static final AtomicInteger NAMES = new AtomicInteger();

    private static final class Shared {
        static final Workers POOL = new Workers(Backends.threads());
    }

    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int threads;
    private Worker[] workers = new Worker[0];
    // The current call, written by the caller before it hands out tickets.
    private ChannelRange task;
    private int items;
    private int parts;
    private volatile Thread caller;
    private volatile Throwable failure;
    /** Calls split over more than one thread so far; written only by the caller holding {@link #busy}. */
    private volatile long splitCalls;

    /** A pool splitting each call over up to {@code threads} threads, the caller included. */
    public Workers(int threads) {
        setThreads(threads);
    }

    /** The pool every kernel uses, sized by {@link Backends#threads()}. */
    public static Workers shared() {
        return Shared.POOL;
    }

    /** The most threads one call uses, the caller included. */
    public int threads() {
        return threads;
    }

    /** Sets the most threads one call uses, from 1 to {@link Runtime#availableProcessors()}·4. */
    public void setThreads(int threads) {
        this.threads = dev.residual.runtime.gemm.GemmArguments.checkThreads(threads);
    }

    /** How many parts a call over {@code items} rows of {@code floatsPerItem} floats each is split into. */
    int partsFor(int items, long floatsPerItem) {
        long byWork = (long) items * floatsPerItem / MIN_FLOATS_PER_PART;
        return (int) Math.max(1, Math.min(Math.min(threads, items), byWork));
    }

    /**
     * Runs {@code task} over rows {@code [0, items)}, split into parts as the class comment says, and returns when
     * every part is done. A part's exception is rethrown here after all parts have finished.
     *
     * @param floatsPerItem about how many floats one row reads and writes: the measure of when splitting pays
     */
    void run(ChannelRange task, int items, long floatsPerItem) {
        int parts = partsFor(items, floatsPerItem);
        if (parts <= 1 || !busy.compareAndSet(false, true)) {
            task.run(0, items);
            return;
        }
        try {
            Worker[] started = ensure(parts - 1);
            if (!task.accessibleBy(started[0])) {
                task.run(0, items);
                return;
            }
            this.task = task;
            this.items = items;
            this.parts = parts;
            failure = null;
            caller = Thread.currentThread();
            pending.set(parts - 1);
            splitCalls = splitCalls + 1;
            for (int w = 0; w < parts - 1; w++) {
                started[w].hand();
            }
            try {
                task.run(0, bound(1));
            } finally {
                awaitWorkers(); // the workers still use the caller's memory
            }
            Throwable failed = failure;
            if (failed != null) {
                failure = null;
                if (failed instanceof RuntimeException e) {
                    throw e;
                }
                if (failed instanceof Error e) {
                    throw e;
                }
                throw new IllegalStateException("kernel worker failed", failed);
            }
        } finally {
            this.task = null;
            busy.set(false);
        }
    }

    /** How many calls were split over more than one thread: lets tests see that the parallel path ran. */
    long splitCalls() {
        return splitCalls;
    }

    /** The first row of part {@code part}. */
    private int bound(int part) {
        return (int) ((long) items * part / parts);
    }

    private void awaitWorkers() {
        int spins = SPINS;
        while (pending.get() != 0) {
            if (spins > 0) {
                spins--;
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
    }

    private synchronized Worker[] ensure(int count) {
        if (workers.length < count) {
            Worker[] grown = Arrays.copyOf(workers, count);
            for (int w = workers.length; w < count; w++) {
                grown[w] = new Worker(this, w + 1, "residual-ops-" + NAMES.incrementAndGet());
                grown[w].start();
            }
            workers = grown;
        }
        return workers;
    }

    private void runPart(int part) {
        task.run(bound(part), bound(part + 1));
    }

    private void finished(Throwable thrown) {
        if (thrown != null) {
            failure = thrown;
        }
        if (pending.decrementAndGet() == 0) {
            LockSupport.unpark(caller);
        }
    }

    /** A daemon thread that runs one part of a call each time it is handed a ticket; parked in between. */
    private static final class Worker extends Thread {
        private final Workers pool;
        private final int part;
        /** Written by the caller after the call's fields, read here before them: the hand-over. */
        private volatile int ticket;
        private int served;

        Worker(Workers pool, int part, String name) {
            super(name);
            this.pool = pool;
            this.part = part;
            setDaemon(true);
        }

        void hand() {
            ticket = ticket + 1; // only the caller writes ticket, and never while this worker is busy
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            while (true) {
                int current = ticket;
                if (current == served) {
                    Thread.interrupted(); // nobody should interrupt a worker, but a set flag would make park spin
                    LockSupport.park(this);
                    continue;
                }
                Throwable thrown = null;
                try {
                    pool.runPart(part);
                } catch (Throwable t) {
                    thrown = t;
                }
                served = current;
                pool.finished(thrown);
            }
        }
    }
}
