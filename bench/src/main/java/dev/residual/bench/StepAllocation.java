package dev.residual.bench;

import java.lang.management.ManagementFactory;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * The bytes the measured calls themselves allocate: on the benchmark thread and on the element-wise kernels' worker
 * threads ({@code residual-ops-N}), over the measurement iterations only, per call.
 *
 * <p>Why beside {@code -prof gc}: JMH's {@code gc.alloc.rate.norm} divides what every thread of the JVM allocated
 * during an iteration (JMH's own included) by the calls in it, so a call that takes a second shows tens of KB that
 * are not its own. This counts only the threads that run the step, read between the calls with
 * {@code ThreadMXBean}, which does not allocate for a single thread. At the end of the trial it prints one line,
 * which {@code bench/compare.py} reads:
 *
 * <pre>STEP_ALLOC benchmark=&lt;method&gt; params=&lt;k=v,...&gt; calls=&lt;n&gt; bytes_per_call=&lt;x&gt;
 *     last_iteration_calls=&lt;n&gt; last_iteration_bytes_per_call=&lt;x&gt; allocating_calls=&lt;n&gt;</pre>
 *
 * {@code allocating_calls} counts the measured calls that allocated anything at all: a step that allocates shows in
 * every call, while HotSpot's one-off work as the JIT settles (bench/README.md, "What the nonzero last iterations
 * are") shows in a few calls only.
 *
 * The last measurement iteration is reported apart because a slow workload gets only a few calls of warm-up (a
 * batch-128 training step takes a second, JMH's warm-up six), so the JIT may still be compiling during the first
 * measurement iterations, and code not yet compiled by C2 allocates objects that C2's escape analysis removes.
 */
@State(Scope.Thread)
public class StepAllocation {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private long[] workers = new long[0];
    private boolean measuring;
    private long bytes;
    private long calls;
    private long iterationBytes;
    private long iterationCalls;
    private long allocatingCalls;

    /** Finds the worker threads started so far (during warm-up) and whether this iteration counts. */
    @Setup(Level.Iteration)
    public void startIteration(IterationParams iteration) {
        measuring = iteration.getType() == IterationType.MEASUREMENT;
        iterationBytes = 0;
        iterationCalls = 0;
        workers = Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith("residual-ops-"))
                .mapToLong(Thread::threadId).toArray();
    }

    /** Bytes the benchmark thread and the workers have allocated so far: read before a call. */
    public long mark() {
        long sum = THREADS.getCurrentThreadAllocatedBytes();
        for (long id : workers) {
            sum += Math.max(0, THREADS.getThreadAllocatedBytes(id));
        }
        return sum;
    }

    /** Counts the call that started at {@code mark}, when this is a measurement iteration. */
    public void count(long mark) {
        if (measuring) {
            long allocated = mark() - mark;
            bytes += allocated;
            calls++;
            iterationBytes += allocated;
            iterationCalls++;
            if (allocated > 0) {
                allocatingCalls++;
            }
        }
    }

    @TearDown(Level.Trial)
    public void report(BenchmarkParams params) {
        StringBuilder values = new StringBuilder();
        for (String key : params.getParamsKeys()) {
            values.append(values.isEmpty() ? "" : ",").append(key).append('=').append(params.getParam(key));
        }
        String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        System.out.printf(java.util.Locale.ROOT, "STEP_ALLOC benchmark=%s params=%s calls=%d bytes_per_call=%.1f "
                + "last_iteration_calls=%d last_iteration_bytes_per_call=%.1f allocating_calls=%d%n", method, values,
                calls, perCall(bytes, calls), iterationCalls, perCall(iterationBytes, iterationCalls), allocatingCalls);
    }

    private static double perCall(long bytes, long calls) {
        return calls == 0 ? 0.0 : (double) bytes / calls;
    }
}
