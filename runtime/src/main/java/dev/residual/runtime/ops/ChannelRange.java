package dev.residual.runtime.ops;

import java.lang.foreign.MemorySegment;

/**
 * One kernel call's work over a range of channels (or other independent rows), as {@link Workers} splits it: each
 * part runs {@link #run} on its own range, and no two ranges write the same memory.
 *
 * <p>A kernel keeps one instance per calling thread (a {@code ThreadLocal}) and fills its fields before each call, so
 * handing work to other threads allocates nothing; {@link #clear} drops the segments afterwards, so the kernel keeps
 * no caller memory reachable between calls.
 */
abstract class ChannelRange {

    /** Runs this call over channels {@code [0, items)} on the shared {@link Workers}, then {@link #clear}s it. */
    final void runOverChannels(int items, long floatsPerItem) {
        try {
            Workers.shared().run(this, items, floatsPerItem);
        } finally {
            clear();
        }
    }

    /** Does the work of channels {@code [from, to)}. */
    abstract void run(int from, int to);

    /** Whether {@code thread} may touch every segment of this call (a confined arena's may not leave its owner). */
    abstract boolean accessibleBy(Thread thread);

    /** Drops the references to the caller's segments once the call is over. */
    abstract void clear();

    /** A thread never started: what it may touch, every thread may (memory of a shared or global arena). */
    static final Thread ELSEWHERE = new Thread(() -> { });

    /** Whether {@code thread} may touch each of the segments; {@code null} ones are ignored. */
    static boolean accessible(Thread thread, MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment d) {
        return (a == null || a.isAccessibleBy(thread)) && (b == null || b.isAccessibleBy(thread))
                && (c == null || c.isAccessibleBy(thread)) && (d == null || d.isAccessibleBy(thread));
    }
}
