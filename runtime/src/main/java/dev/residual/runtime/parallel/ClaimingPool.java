package dev.residual.runtime.parallel;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a call's parts on the caller and on helper threads, each part on whichever thread claims it first: for calls
 * of tens to hundreds of microseconds on a machine other processes may keep busy.
 *
 * <p>In a {@link PartPool} worker {@code w} runs part {@code w} and the caller waits for it, so a worker that has to
 * wait for a core holds up the call by a scheduler time slice (milliseconds). Here a part that no helper has claimed
 * when the caller is free runs on the caller: a late helper finds nothing left, and the call waits only for parts a
 * helper has already started. So a call never takes much longer than on the caller alone, and with an idle core it
 * takes about {@code 1/threads} of that.
 *
 * <p>Parts run on any thread in any order, each exactly once; a part must not depend on which thread runs it. A claim
 * is one compare-and-set on a word holding the call's number and how many parts are still unclaimed, so a helper that
 * wakes after its call has ended cannot claim a part of the next. Helpers are daemon threads, started on first need,
 * that spin briefly after a call (products come in quick succession) and then park. One call at a time: the caller
 * must not start another before {@link #run} returns. Nothing is allocated per call.
 */
public final class ClaimingPool {

    /**
     * How long an idle helper spins before it parks: 20 µs. Measured on a batch-1 ResNet-20 pass on 2 cores (JMH p50,
     * two rounds each): quiet, 2.88–2.90 ms against 2.81–2.86 ms spinning 100 µs and 3.45–4.51 ms not spinning; beside
     * one busy process 4.0–4.3 ms against 6.1–6.5 ms spinning 100 µs, whose spinning helper took the caller's share of
     * the one free core; beside two, 5.4 against 6.1–6.2 ms.
     */
    private static final long IDLE_SPIN_NANOS = 20_000;

    /**
     * How long an idle helper stays ready while the pool is {@linkplain #hold held}: 500 µs, yielding its core to
     * any other runnable thread meanwhile. On a virtual machine a parked helper's idle core may be descheduled, and
     * waking it can take longer than the batch-1 calls it is woken for (a batch-1 ResNet-20 pass has one every few
     * tens of microseconds, and a compiled pass's gaps between them are shorter than 500 µs). The gain was inside this
     * machine's noise: JMH averages of 1.61 / 1.29 ms held against 1.80 / 1.69 ms before (bench/README.md).
     */
    private static final long HELD_SPIN_NANOS = 500_000;
    private static final AtomicInteger NAMES = new AtomicInteger();

    private final String namePrefix;
    private Helper[] helpers = new Helper[0];
    /** The current call's number in the high 32 bits, its parts not yet claimed in the low 32. */
    private final AtomicLong unclaimed = new AtomicLong();
    private final AtomicInteger unfinished = new AtomicInteger();
    /** How many {@link #hold}s are not yet {@link #release}d. */
    private final AtomicInteger holds = new AtomicInteger();
    private volatile Thread caller;
    private volatile Throwable failure;
    /** The current call, written by the caller before {@link #unclaimed} publishes it. */
    private Parts job;
    private int calls;

    /** A pool whose helper threads are named {@code namePrefix} and a number. */
    public ClaimingPool(String namePrefix) {
        this.namePrefix = namePrefix;
    }

    /** Starts helpers so that {@code count} of them can join a call. */
    public synchronized void prepare(int count) {
        if (helpers.length < count) {
            Helper[] grown = Arrays.copyOf(helpers, count);
            for (int h = helpers.length; h < count; h++) {
                grown[h] = new Helper(this, namePrefix + NAMES.incrementAndGet());
                grown[h].start();
            }
            helpers = grown;
        }
    }

    /**
     * Runs parts {@code 0 .. parts−1} of {@code job} on the caller and up to {@code helpers} prepared helpers, and
     * returns when every part is done. A part's exception is rethrown here once every claimed part has finished.
     */
    public void run(Parts job, int parts, int helpers) {
        if (parts < 1) {
            return;
        }
        this.job = job;
        failure = null;
        caller = Thread.currentThread();
        unfinished.set(parts);
        int call = ++calls;
        unclaimed.set(((long) call << 32) | parts);
        Helper[] started = this.helpers;
        for (int h = 0; h < Math.min(helpers, started.length); h++) {
            started[h].wake(call);
        }
        try {
            claimAndRun(call);
        } finally {
            awaitStarted(); // helpers still run parts that use the caller's memory
            this.job = null;
        }
        Throwable failed = failure;
        if (failed != null) {
            failure = null;
            PartPool.rethrow(failed);
        }
    }

    /** Claims and runs parts of call {@code call} until none is left unclaimed. */
    private void claimAndRun(int call) {
        while (true) {
            long word = unclaimed.get();
            int left = (int) word;
            if ((int) (word >>> 32) != call || left == 0) {
                return;
            }
            if (!unclaimed.compareAndSet(word, word - 1)) {
                continue;
            }
            // The claim succeeded, so the call is still running and job is its job.
            try {
                job.runPart(left - 1);
            } catch (Throwable t) {
                failure = t;
            }
            if (unfinished.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
        }
    }

    private void awaitStarted() {
        PartPool.awaitZero(unfinished, this);
    }

    /**
     * Keeps idle helpers ready, for up to {@link #HELD_SPIN_NANOS} after each call instead of
     * {@link #IDLE_SPIN_NANOS}, until the matching {@link #release}: for a caller about to run many small calls in a
     * row (a compiled model's batch-1 pass). A ready helper calls {@link Thread#yield} in its loop, so a core another
     * process needs goes to it.
     */
    public void hold() {
        holds.incrementAndGet();
    }

    /** Ends one {@link #hold}. */
    public void release() {
        holds.decrementAndGet();
    }

    /** Stops every helper. */
    public synchronized void close() {
        for (Helper helper : helpers) {
            helper.retire();
        }
        helpers = new Helper[0];
    }

    /** A daemon thread that joins each call it is woken for. */
    private static final class Helper extends Thread {
        private final ClaimingPool pool;
        /** The newest call this helper was woken for; written by the caller. */
        private volatile int wanted;
        private volatile boolean stopped;
        private int joined;

        Helper(ClaimingPool pool, String name) {
            super(name);
            this.pool = pool;
            setDaemon(true);
        }

        void wake(int call) {
            wanted = call;
            LockSupport.unpark(this);
        }

        void retire() {
            stopped = true;
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            while (!stopped) {
                int call = wanted;
                if (call == joined) {
                    long idle = System.nanoTime() - idleSince;
                    if (idle < IDLE_SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else if (idle < HELD_SPIN_NANOS && pool.holds.get() > 0) {
                        Thread.yield();
                    } else {
                        Thread.interrupted(); // nobody should interrupt a helper, but a set flag would make park spin
                        LockSupport.park(this);
                    }
                    continue;
                }
                joined = call;
                pool.claimAndRun(call);
                idleSince = System.nanoTime();
            }
        }
    }
}
