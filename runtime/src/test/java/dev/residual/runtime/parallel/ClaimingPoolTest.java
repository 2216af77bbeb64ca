package dev.residual.runtime.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** Every part of every call runs exactly once, whoever claims it; failures reach the caller; no helper is waited for. */
class ClaimingPoolTest {

    @Test
    void everyPartRunsExactlyOnceOverManyCalls() {
        ClaimingPool pool = new ClaimingPool("test-claims-");
        pool.prepare(3);
        try {
            for (int call = 0; call < 2_000; call++) {
                int parts = 1 + call % 7;
                AtomicIntegerArray runs = new AtomicIntegerArray(parts);
                pool.run(runs::incrementAndGet, parts, 3);
                for (int p = 0; p < parts; p++) {
                    assertEquals(1, runs.get(p), "call " + call + ", part " + p);
                }
            }
        } finally {
            pool.close();
        }
    }

    @Test
    void aFailingPartIsRethrownAfterTheOthersFinish() {
        ClaimingPool pool = new ClaimingPool("test-claims-");
        pool.prepare(1);
        try {
            AtomicIntegerArray runs = new AtomicIntegerArray(4);
            IllegalStateException boom = new IllegalStateException("part 2 failed");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> pool.run(part -> {
                runs.incrementAndGet(part);
                if (part == 2) {
                    throw boom;
                }
            }, 4, 1));
            assertSame(boom, thrown);
            for (int p = 0; p < 4; p++) {
                assertEquals(1, runs.get(p), "part " + p);
            }
            // The pool is usable again, and the old failure does not come back.
            AtomicIntegerArray again = new AtomicIntegerArray(2);
            pool.run(again::incrementAndGet, 2, 1);
            assertEquals(1, again.get(0));
            assertEquals(1, again.get(1));
        } finally {
            pool.close();
        }
    }

    /**
     * A helper's part here waits until the caller has run all the others: the call can only end if the caller runs
     * every part the helper has not claimed instead of waiting for it (had it waited, the helper's wait would time out
     * and fail the call).
     */
    @Test
    void theCallerRunsWhatTheHelperHasNotClaimed() {
        ClaimingPool pool = new ClaimingPool("test-claims-");
        pool.prepare(1);
        Thread caller = Thread.currentThread();
        int parts = 8;
        CountDownLatch callerRanTheRest = new CountDownLatch(parts - 1);
        AtomicInteger byCaller = new AtomicInteger();
        AtomicIntegerArray runs = new AtomicIntegerArray(parts);
        try {
            pool.run(part -> {
                runs.incrementAndGet(part);
                if (Thread.currentThread() == caller) {
                    byCaller.incrementAndGet();
                    callerRanTheRest.countDown();
                } else {
                    try {
                        assertTrue(callerRanTheRest.await(20, TimeUnit.SECONDS), "the caller waited for the helper");
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }, parts, 1);
        } finally {
            pool.close();
        }
        assertTrue(byCaller.get() >= parts - 1, "the caller ran " + byCaller.get() + " parts");
        for (int p = 0; p < parts; p++) {
            assertEquals(1, runs.get(p), "part " + p);
        }
    }

    @Test
    void withoutHelpersTheCallerRunsEveryPart() {
        ClaimingPool pool = new ClaimingPool("test-claims-");
        Thread caller = Thread.currentThread();
        AtomicIntegerArray runs = new AtomicIntegerArray(5);
        pool.run(part -> {
            assertSame(caller, Thread.currentThread());
            runs.incrementAndGet(part);
        }, 5, 2);
        for (int p = 0; p < 5; p++) {
            assertEquals(1, runs.get(p), "part " + p);
        }
    }

    /**
     * While held, calls run as before; once released, the helper parks again (it must not keep a core busy after a
     * compiled model's pass).
     */
    @Test
    void aHeldPoolRunsEveryPartAndItsHelperParksOnceReleased() throws InterruptedException {
        ClaimingPool pool = new ClaimingPool("test-held-");
        pool.prepare(1);
        try {
            pool.hold();
            for (int call = 0; call < 500; call++) {
                AtomicIntegerArray runs = new AtomicIntegerArray(6);
                pool.run(runs::incrementAndGet, 6, 1);
                for (int p = 0; p < 6; p++) {
                    assertEquals(1, runs.get(p), "call " + call + ", part " + p);
                }
            }
            pool.release();
            Thread helper = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("test-held-")).findFirst().orElseThrow();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (helper.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(Thread.State.WAITING, helper.getState(), "the released helper parks");
        } finally {
            pool.close();
        }
    }
}
