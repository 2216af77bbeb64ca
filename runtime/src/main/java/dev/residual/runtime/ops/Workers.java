package dev.residual.runtime.ops;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.gemm.GemmArguments;
import dev.residual.runtime.parallel.ClaimingPool;
import dev.residual.runtime.parallel.Parts;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The threads that run the element-wise kernels (normalization, activations, adds, im2col) over channels.
 *
 * <p><b>Who owns parallelism.</b> One setting, {@value Backends#THREADS_PROPERTY} ({@link Backends#threads()}), is
 * the number of threads one model step uses. A step is a sequence of kernels and matrix products, each run to the end
 * before the next starts, so the GEMM backend's threads and these take turns and never compete: the GEMM uses its
 * threads during a product, then these split the next element-wise kernel. OpenBLAS's idle workers spin for a while
 * after a product, but calling {@code sched_yield}, which lets a runnable thread go first (bench/README.md, "Threads").
 *
 * <p><b>When a call is split.</b> Only when every thread gets at least {@link #MIN_FLOATS_PER_PART} floats of work:
 * waking a parked thread costs tens of microseconds, more than a small kernel's whole run, so a batch-1 inference runs
 * every kernel on the caller. When another thread is already using the pool (two models stepping at once), a call runs
 * on its caller alone rather than waiting. A split call is cut into {@link #PIECES_PER_THREAD} fixed ranges of rows per
 * thread, and each range goes to whichever thread claims it first ({@link ClaimingPool}): a thread that a busy machine
 * slows down or wakes late takes fewer ranges, where with one fixed half each the other thread would wait for it. Each
 * row is computed exactly as on one thread, wherever it runs, so the results do not depend on the thread count.
 *
 * <p><b>No allocation.</b> Workers are a {@link ClaimingPool} of daemon threads named {@code residual-ops-N}, started
 * on first need, spinning briefly after a call and parked after that, so neither the caller nor a worker allocates per
 * call.
 */
public final class Workers {

    /**
     * The least work, in floats read or written per part, worth another thread: 64K floats take the caller some
     * 30–100 µs, a few times what waking a parked thread costs. It also keeps a batch-1 ResNet-20 inference wholly on
     * the caller: its largest kernel, the unrolling of 16 channels of 28×28 for a 3×3 convolution, moves 113K floats.
     */
    static final long MIN_FLOATS_PER_PART = 1L << 16;

    /**
     * Ranges a split call is cut into per thread. Against one fixed range per thread, inside a batch-128 ResNet-20
     * training step on 2 threads (the two ways alternating step by step in one JVM, 25–30 steps each): medians 520
     * against 544 ms and 489 against 493 ms, quartiles 503 against 530 and 442 against 468 ms. There the caller had
     * waited 1.7 s of every 25 for the worker's fixed half. Eight ranges per thread did no better than four (481
     * against 508 ms, then 532 against 521).
     */
    static final int PIECES_PER_THREAD = 4;

    /** The shared pool once made; not a holder class, so a bad {@code -Dresidual.threads} fails every call alike. */
    private static volatile Workers shared;

    private final ClaimingPool pool = new ClaimingPool("residual-ops-");
    /** The current call's ranges, as the pool runs them; made once so a call allocates nothing. */
    private final Parts ranges = this::runRange;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile int threads;
    /** Calls split over more than one thread so far; written only by the caller holding {@link #busy}. */
    private volatile long splitCalls;
    // The current call, written by the caller before the pool hands it out.
    private ChannelRange task;
    private int items;
    private int pieces;

    /** A pool splitting each call over up to {@code threads} threads, the caller included. */
    public Workers(int threads) {
        setThreads(threads);
    }

    /** The pool every kernel uses, sized by {@link Backends#threads()}. */
    public static Workers shared() {
        Workers pool = shared;
        if (pool == null) {
            synchronized (Workers.class) {
                if (shared == null) {
                    shared = new Workers(Backends.threads());
                }
                pool = shared;
            }
        }
        return pool;
    }

    /** The most threads one call uses, the caller included. */
    public int threads() {
        return threads;
    }

    /** Sets the most threads one call uses, from 1 to {@link Runtime#availableProcessors()}·4. */
    public void setThreads(int threads) {
        this.threads = GemmArguments.checkThreads(threads);
    }

    /** How many threads a call over {@code items} rows of {@code floatsPerItem} floats each is split over. */
    int threadsFor(int items, long floatsPerItem) {
        long byWork = (long) items * floatsPerItem / MIN_FLOATS_PER_PART;
        return (int) Math.max(1, Math.min(Math.min(threads, items), byWork));
    }

    /**
     * Runs {@code task} over rows {@code [0, items)}, split into ranges as the class comment says, and returns when
     * every range is done. A range's exception is rethrown here after every range that started has finished.
     *
     * @param floatsPerItem about how many floats one row reads and writes: the measure of when splitting pays
     */
    void run(ChannelRange task, int items, long floatsPerItem) {
        int threads = threadsFor(items, floatsPerItem);
        if (threads <= 1 || !busy.compareAndSet(false, true)) {
            task.run(0, items);
            return;
        }
        try {
            if (!task.accessibleBy(ChannelRange.ELSEWHERE)) {
                task.run(0, items);
                return;
            }
            pool.prepare(threads - 1);
            this.task = task;
            this.items = items;
            pieces = Math.min(items, PIECES_PER_THREAD * threads);
            splitCalls = splitCalls + 1;
            pool.run(ranges, pieces, threads - 1);
        } finally {
            this.task = null;
            busy.set(false);
        }
    }

    /** How many calls were split over more than one thread: lets tests see that the parallel path ran. */
    long splitCalls() {
        return splitCalls;
    }

    /** Runs one range of rows; called by the pool. */
    private void runRange(int part) {
        task.run(bound(part), bound(part + 1));
    }

    /** The first row of range {@code part}. */
    private int bound(int part) {
        return (int) ((long) items * part / pieces);
    }
}
