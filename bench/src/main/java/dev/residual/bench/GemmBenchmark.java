package dev.residual.bench;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.gemm.OpenBlasLocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The GEMMs of ResNet-20 at batch 64, per backend and thread count. A 3×3 convolution with C_in input and C_out output
 * channels over an H×W map is, in the channel-major layout, {@code Y[C_out × N·H·W] = W[C_out × 9·C_in] · col}; its
 * weight gradient is {@code dY · colᵀ} and its input gradient {@code Wᵀ · dY}.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar GemmBenchmark -p backend=openblas,java -p threads=1,2}. The
 * {@code gflops} line of each result is the achieved GFLOP/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
public class GemmBenchmark {

    /** {@code name:m×n×k:transposes}, named after the layer and direction. */
    @Param({
        "c16_fwd:16x50176x144:NN", "c16_wgrad:16x144x50176:NT", "c16_igrad:144x50176x16:TN",
        "c32_fwd:32x12544x288:NN", "c32_wgrad:32x288x12544:NT", "c32_igrad:288x12544x32:TN",
        "c64_fwd:64x3136x576:NN", "c64_wgrad:64x576x3136:NT", "c64_igrad:576x3136x64:TN"})
    public String shape;

    @Param({"openblas", "java"})
    public String backend;

    @Param({"1", "2"})
    public int threads;

    private Arena arena;
    private Gemm gemm;
    private MemorySegment a, b, c;
    private int m, n, k, lda, ldb;
    private boolean transA, transB;

    /** Reports GFLOP/s next to the call rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflops;

        @Setup(Level.Iteration)
        public void reset() {
            gflops = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shape.split(":");
        String[] dims = parts[1].split("x");
        m = Integer.parseInt(dims[0]);
        n = Integer.parseInt(dims[1]);
        k = Integer.parseInt(dims[2]);
        transA = parts[2].charAt(0) == 'T';
        transB = parts[2].charAt(1) == 'T';
        lda = transA ? m : k;
        ldb = transB ? k : n;
        gemm = Backends.choose(backend, OpenBlasLocator.fromEnvironment(), threads);
        arena = Arena.ofShared();
        a = filled((long) m * k);
        b = filled((long) k * n);
        c = arena.allocate((long) m * n * Float.BYTES, 64);
    }

    private MemorySegment filled(long count) {
        MemorySegment segment = arena.allocate(count * Float.BYTES, 64);
        for (long i = 0; i < count; i++) {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) ((i * 7919 % 1000) / 1000.0 - 0.5));
        }
        return segment;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void sgemm(Flops flops) {
        gemm.sgemm(transA, transB, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
        flops.gflops += 2.0 * m * n * k / 1e9;
    }
}
